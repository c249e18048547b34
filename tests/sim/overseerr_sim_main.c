/*  plexstaffai-overseerr-sim - an Overseerr v1 server for tests and demos.

    Thin main (STYLE.md §8): parse the options, start oversim_server, print
    "listening on HOST:PORT" as the first stdout line, wait for SIGINT or
    SIGTERM with sigwait (the signals are blocked before any thread starts,
    so no handler runs), then shut down.                                   */
#include "overseerr_sim.h"

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
            "usage: plexstaffai-overseerr-sim [options]\n"
            "  --listen HOST:PORT     bind address (default 127.0.0.1:5055; "
            "port 0 = any free port)\n"
            "  --api-key KEY          required X-Api-Key (empty: no check)\n"
            "  --requests N           pending requests at start (default "
            "40)\n"
            "  --seed S               generation seed (default 1)\n"
            "  --seerr                409 on approve/decline of a non-pending "
            "request\n"
            "  --webhook-url URL      POST webhooks here\n"
            "  --webhook-auth VALUE   Authorization header value, verbatim\n"
            "  --new-every SECONDS    create a pending request periodically\n"
            "  --threads N            civetweb worker threads (default 32)\n"
            "  --log-level LEVEL      error, warn, info (default), debug\n");
}

static int
s_copy(char *dst, size_t len, const char *src, const char *what)
{
    if (snprintf(dst, len, "%s", src) >= (int)len) {
        fprintf(stderr, "overseerr-sim: %s is too long\n", what);
        return -1;
    }
    return 0;
}

static int
s_int(const char *text, int64_t min, int64_t max, int64_t *out,
      const char *what)
{
    if (ps_parse_int64(text, min, max, out) != 0) {
        fprintf(stderr, "overseerr-sim: %s must be an integer in %lld..%lld\n",
                what, (long long)min, (long long)max);
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"api-key", required_argument, NULL, 'k'},
        {"requests", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"seerr", no_argument, NULL, 'S'},
        {"webhook-url", required_argument, NULL, 'w'},
        {"webhook-auth", required_argument, NULL, 'a'},
        {"new-every", required_argument, NULL, 'e'},
        {"threads", required_argument, NULL, 't'},
        {"log-level", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    oversim_config_t config;
    oversim_config_defaults(&config);
    ps_log_level_t level = PS_LOG_INFO;
    int64_t value = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int rc = 0;
        switch (opt) {
            case 'l':
                rc = s_copy(config.listen, sizeof(config.listen), optarg,
                            "--listen");
                break;
            case 'k':
                rc = s_copy(config.api_key, sizeof(config.api_key), optarg,
                            "--api-key");
                break;
            case 'n':
                rc = s_int(optarg, 0, 20000, &value, "--requests");
                config.requests = (int)value;
                break;
            case 's':
                rc = s_int(optarg, 0, INT64_MAX, &value, "--seed");
                config.seed = (uint64_t)value;
                break;
            case 'S':
                config.seerr = true;
                break;
            case 'w':
                rc = s_copy(config.webhook_url, sizeof(config.webhook_url),
                            optarg, "--webhook-url");
                break;
            case 'a':
                rc = s_copy(config.webhook_auth, sizeof(config.webhook_auth),
                            optarg, "--webhook-auth");
                break;
            case 'e':
                rc = s_int(optarg, 0, 86400, &value, "--new-every");
                config.new_every_s = (int)value;
                break;
            case 't':
                rc = s_int(optarg, 1, 1024, &value, "--threads");
                config.threads = (int)value;
                break;
            case 'L':
                rc = ps_log_level_parse(optarg, &level);
                if (rc != 0)
                    fprintf(stderr, "overseerr-sim: unknown log level\n");
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
    ps_log_init("overseerr-sim", level);
    ps_log_add_secret(config.api_key);
    ps_log_add_secret(config.webhook_auth);

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    char err[512] = "";
    oversim_server_t *server = oversim_server_new(&config, err, sizeof(err));
    if (!server) {
        ps_log_error("start failed: %s", err);
        return 1;
    }
    char host[128];
    const char *colon = strrchr(config.listen, ':');
    if (colon && colon != config.listen)
        snprintf(host, sizeof(host), "%.*s", (int)(colon - config.listen),
                 config.listen);
    else
        snprintf(host, sizeof(host), "127.0.0.1");
    printf("listening on %s:%d\n", host, oversim_server_port(server));
    fflush(stdout);
    ps_log_info("started port=%d requests=%d seed=%llu seerr=%s webhook=%s "
                "new_every=%d",
                oversim_server_port(server), config.requests,
                (unsigned long long)config.seed, config.seerr ? "yes" : "no",
                config.webhook_url[0] ? "yes" : "no", config.new_every_s);
    if (!config.api_key[0])
        ps_log_warn("no --api-key: every API call is accepted");

    int sig = 0;
    sigwait(&signals, &sig);
    ps_log_info("shutdown signal=%d", sig);
    oversim_server_destroy(&server);
    return 0;
}
