/*  plexstaffai-llm-sim - an OpenAI-compatible chat-completions server.

    Thin main (STYLE.md §8): parse the options into an llmsim_config_t,
    start llmsim_server, print "listening on HOST:PORT" as the first stdout
    line, sigwait for SIGINT/SIGTERM (blocked before any thread starts),
    then shut down.                                                        */
#include "llm_sim.h"

#include "ps_log.h"
#include "ps_parse.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_usage(FILE *out)
{
    fprintf(out,
            "usage: plexstaffai-llm-sim [options]\n"
            "  --listen HOST:PORT   bind address (default 127.0.0.1:8089; "
            "port 0 = any free port)\n"
            "  --threads N          civetweb worker threads = max concurrent "
            "calls (default 64)\n"
            "  --latency-ms N       delay of every completion\n"
            "  --api-key KEY        require Authorization: Bearer KEY\n"
            "  --seed S             seed of the fault draws (default 1)\n"
            "  --fail-429 RATE      share of calls answered 429 (0..1)\n"
            "  --fail-500 RATE      share of calls answered 500\n"
            "  --timeout RATE       share of calls that hang 120 s\n"
            "  --malformed RATE     share of calls with non-JSON content\n"
            "  --truncated RATE     share of calls cut (finish_reason "
            "length)\n"
            "  --retry-after S      Retry-After on 429 (default 1, -1 = "
            "none)\n"
            "  --log-level LEVEL    error, warn, info (default), debug\n");
}

static int
s_rate(const char *text, double *out, const char *what)
{
    if (ps_parse_double(text, 0.0, 1.0, out) != 0) {
        fprintf(stderr, "llm-sim: %s must be a number in [0,1]\n", what);
        return -1;
    }
    return 0;
}

static int
s_int(const char *text, int64_t min, int64_t max, int64_t *out,
      const char *what)
{
    if (ps_parse_int64(text, min, max, out) != 0) {
        fprintf(stderr, "llm-sim: %s must be an integer in %lld..%lld\n", what,
                (long long)min, (long long)max);
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"threads", required_argument, NULL, 't'},
        {"latency-ms", required_argument, NULL, 'd'},
        {"api-key", required_argument, NULL, 'k'},
        {"seed", required_argument, NULL, 's'},
        {"fail-429", required_argument, NULL, '4'},
        {"fail-500", required_argument, NULL, '5'},
        {"timeout", required_argument, NULL, 'T'},
        {"malformed", required_argument, NULL, 'm'},
        {"truncated", required_argument, NULL, 'c'},
        {"retry-after", required_argument, NULL, 'r'},
        {"log-level", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    llmsim_config_t config;
    llmsim_config_defaults(&config);
    char listen[128] = "127.0.0.1:8089";
    int threads = 64;
    uint64_t seed = 1;
    ps_log_level_t level = PS_LOG_INFO;
    int64_t value = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int rc = 0;
        switch (opt) {
            case 'l':
                if (snprintf(listen, sizeof(listen), "%s", optarg)
                    >= (int)sizeof(listen)) {
                    fprintf(stderr, "llm-sim: --listen is too long\n");
                    rc = -1;
                }
                break;
            case 't':
                rc = s_int(optarg, 1, 4096, &value, "--threads");
                threads = (int)value;
                break;
            case 'd':
                rc = s_int(optarg, 0, 600000, &value, "--latency-ms");
                config.latency_ms = (int)value;
                break;
            case 'k':
                if (snprintf(config.api_key, sizeof(config.api_key), "%s",
                             optarg)
                    >= (int)sizeof(config.api_key)) {
                    fprintf(stderr, "llm-sim: --api-key is too long\n");
                    rc = -1;
                }
                break;
            case 's':
                rc = s_int(optarg, 0, INT64_MAX, &value, "--seed");
                seed = (uint64_t)value;
                break;
            case '4':
                rc = s_rate(optarg, &config.fail_429, "--fail-429");
                break;
            case '5':
                rc = s_rate(optarg, &config.fail_500, "--fail-500");
                break;
            case 'T':
                rc = s_rate(optarg, &config.timeout, "--timeout");
                break;
            case 'm':
                rc = s_rate(optarg, &config.malformed, "--malformed");
                break;
            case 'c':
                rc = s_rate(optarg, &config.truncated, "--truncated");
                break;
            case 'r':
                rc = s_int(optarg, -1, 3600, &value, "--retry-after");
                config.retry_after = (int)value;
                break;
            case 'L':
                rc = ps_log_level_parse(optarg, &level);
                if (rc != 0)
                    fprintf(stderr, "llm-sim: unknown log level\n");
                break;
            case 'h':
                s_usage(stdout);
                return 0;
            default:
                s_usage(stderr);
                return 2;
        }
        if (rc != 0)
            return 2;
    }
    if (optind < argc) {
        s_usage(stderr);
        return 2;
    }
    ps_log_init("llm-sim", level);
    ps_log_add_secret(config.api_key);

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    char err[512] = "";
    llmsim_server_t *server =
        llmsim_server_new(listen, threads, &config, seed, err, sizeof(err));
    if (!server) {
        ps_log_error("start failed: %s", err);
        return 1;
    }
    char host[128];
    const char *colon = strrchr(listen, ':');
    if (colon && colon != listen)
        snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
    else
        snprintf(host, sizeof(host), "127.0.0.1");
    printf("listening on %s:%d\n", host, llmsim_server_port(server));
    fflush(stdout);
    ps_log_info("started port=%d threads=%d latency_ms=%d",
                llmsim_server_port(server), threads, config.latency_ms);

    int sig = 0;
    sigwait(&signals, &sig);
    ps_log_info("shutdown signal=%d", sig);
    llmsim_server_destroy(&server);
    return 0;
}
