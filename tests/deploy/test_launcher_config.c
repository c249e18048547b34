/*  test_launcher_config - where `plexstaffai up` takes its configuration
    from when no --config is given: <data dir>/config.yaml, copied from the
    shipped default on first start, never overwritten.

    Each case works in a fresh temporary directory; the shipped default is
    the repository's own config.yaml (PS_SOURCE_DIR, set by ps_add_test),
    so the test also proves that the copy a user gets loads cleanly.      */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "launcher.h"
#include "ps_config.h"
#include "ps_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char dir[64];       /* the case's temporary directory */
    char shipped[1024]; /* the repository's config.yaml */
} s_fixture_t;

static int
s_setup(void **state)
{
    s_fixture_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/ps-launcher-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    const char *root = getenv("PS_SOURCE_DIR");
    assert_non_null(root);
    snprintf(f->shipped, sizeof(f->shipped), "%s/config.yaml", root);
    *state = f;
    return 0;
}

/* Removes dir/<name> for each name, in the order given (files before
   their directories), then dir itself. */
static void
s_remove(const char *dir, const char *const *names)
{
    for (size_t i = 0; names[i]; i++) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (unlink(path) != 0)
            rmdir(path);
    }
    rmdir(dir);
}

static int
s_teardown(void **state)
{
    s_fixture_t *f = *state;
    static const char *const names[] = {"config.yaml",
                                        "mine.yaml",
                                        "source.yaml",
                                        "a/b/config.yaml",
                                        "a/b",
                                        "a",
                                        "share/plexstaffai/config.yaml",
                                        "share/plexstaffai",
                                        "share",
                                        "bin",
                                        NULL};
    s_remove(f->dir, names);
    free(f);
    return 0;
}

static void
s_write(const char *path, const char *text)
{
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    assert_true(fputs(text, file) >= 0);
    assert_int_equal(fclose(file), 0);
}

/* Reads up to len - 1 bytes of `path` into buf, NUL-terminated. */
static void
s_read(const char *path, char *buf, size_t len)
{
    FILE *file = fopen(path, "r");
    assert_non_null(file);
    size_t n = fread(buf, 1, len - 1, file);
    buf[n] = '\0';
    fclose(file);
}

static void
s_assert_same_file(const char *a, const char *b)
{
    static char left[65536];
    static char right[65536];
    s_read(a, left, sizeof(left));
    s_read(b, right, sizeof(right));
    assert_string_equal(left, right);
}

static void
test_launcher_config_install_copies_with_mode_0640(void **state)
{
    s_fixture_t *f = *state;
    char dest[128];
    snprintf(dest, sizeof(dest), "%s/config.yaml", f->dir);
    char err[512] = "";
    /* A strict umask must not take the group's read bit away. */
    mode_t old_mask = umask(077);
    int rc = launcher_install_config(f->shipped, dest, err, sizeof(err));
    umask(old_mask);
    assert_int_equal(rc, 1);
    struct stat st;
    assert_int_equal(stat(dest, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    s_assert_same_file(f->shipped, dest);
    /* What a user gets on first start is a valid configuration. */
    ps_config_t *config = ps_config_load(dest, NULL, NULL);
    assert_non_null(config);
    ps_config_destroy(&config);
}

static void
test_launcher_config_install_never_overwrites(void **state)
{
    s_fixture_t *f = *state;
    char dest[128];
    snprintf(dest, sizeof(dest), "%s/config.yaml", f->dir);
    s_write(dest, "rules:\n  min_rating: 9.5\n");
    assert_int_equal(chmod(dest, 0600), 0);
    char err[512] = "";
    assert_int_equal(
        launcher_install_config(f->shipped, dest, err, sizeof(err)), 0);
    char text[256];
    s_read(dest, text, sizeof(text));
    assert_string_equal(text, "rules:\n  min_rating: 9.5\n");
    struct stat st;
    assert_int_equal(stat(dest, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    /* A symbolic link counts as a file too, even a dangling one. */
    char link_path[128];
    snprintf(link_path, sizeof(link_path), "%s/mine.yaml", f->dir);
    assert_int_equal(symlink("/nonexistent/ps-config.yaml", link_path), 0);
    assert_int_equal(
        launcher_install_config(f->shipped, link_path, err, sizeof(err)), 0);
    assert_int_equal(access("/nonexistent/ps-config.yaml", F_OK), -1);
}

static void
test_launcher_config_install_errors(void **state)
{
    s_fixture_t *f = *state;
    char dest[128];
    snprintf(dest, sizeof(dest), "%s/config.yaml", f->dir);
    char missing[128];
    snprintf(missing, sizeof(missing), "%s/source.yaml", f->dir);
    char err[512] = "";
    assert_int_equal(launcher_install_config(missing, dest, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, missing));
    assert_int_equal(access(dest, F_OK), -1);

    char nowhere[128];
    snprintf(nowhere, sizeof(nowhere), "%s/no/such/dir/config.yaml", f->dir);
    assert_int_equal(
        launcher_install_config(f->shipped, nowhere, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot create"));
    assert_non_null(strstr(err, nowhere));
}

static void
test_launcher_config_default_prefers_installed_copy(void **state)
{
    s_fixture_t *f = *state;
    char bin_dir[128];
    char path[256];
    char source[128];
    char found[512];
    snprintf(bin_dir, sizeof(bin_dir), "%s/bin", f->dir);
    snprintf(source, sizeof(source), "%s/source.yaml", f->dir);
    assert_int_equal(mkdir(bin_dir, 0700), 0);

    /* Nothing anywhere. */
    assert_int_equal(
        launcher_default_config(bin_dir, source, found, sizeof(found)), -1);
    assert_int_equal(
        launcher_default_config(bin_dir, NULL, found, sizeof(found)), -1);
    assert_int_equal(launcher_default_config(bin_dir, "", found, sizeof(found)),
                     -1);
    /* The source tree's copy. */
    s_write(source, "demo: true\n");
    assert_int_equal(
        launcher_default_config(bin_dir, source, found, sizeof(found)), 0);
    assert_string_equal(found, source);
    /* An installed copy wins. */
    snprintf(path, sizeof(path), "%s/share", f->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/share/plexstaffai", f->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/share/plexstaffai/config.yaml", f->dir);
    s_write(path, "demo: true\n");
    assert_int_equal(
        launcher_default_config(bin_dir, source, found, sizeof(found)), 0);
    snprintf(path, sizeof(path), "%s/../share/plexstaffai/config.yaml",
             bin_dir);
    assert_string_equal(found, path);
    /* A buffer too small finds nothing rather than a truncated path. */
    char tiny[8];
    assert_int_equal(
        launcher_default_config(bin_dir, source, tiny, sizeof(tiny)), -1);
}

static void
test_launcher_config_first_start_copies_once(void **state)
{
    s_fixture_t *f = *state;
    char data_dir[128];
    char want[192];
    char path[512];
    char err[512] = "";
    bool copied = true;
    snprintf(data_dir, sizeof(data_dir), "%s/a/b", f->dir);
    snprintf(want, sizeof(want), "%s/config.yaml", data_dir);

    /* First start: the data directory is created and the default copied. */
    assert_int_equal(launcher_data_dir_config(data_dir, f->shipped, path,
                                              sizeof(path), &copied, err,
                                              sizeof(err)),
                     0);
    assert_string_equal(path, want);
    assert_true(copied);
    s_assert_same_file(f->shipped, path);

    /* The user edits it; the next start keeps the edit. */
    s_write(path, "rules:\n  min_rating: 9.5\n");
    assert_int_equal(launcher_data_dir_config(data_dir, f->shipped, path,
                                              sizeof(path), &copied, err,
                                              sizeof(err)),
                     0);
    assert_false(copied);
    char text[256];
    s_read(path, text, sizeof(text));
    assert_string_equal(text, "rules:\n  min_rating: 9.5\n");

    /* An existing file needs no shipped default. */
    assert_int_equal(launcher_data_dir_config(data_dir, NULL, path,
                                              sizeof(path), &copied, err,
                                              sizeof(err)),
                     0);
    assert_false(copied);
}

static void
test_launcher_config_first_start_without_default(void **state)
{
    s_fixture_t *f = *state;
    char path[512];
    char err[512] = "";
    bool copied = true;
    assert_int_equal(launcher_data_dir_config(f->dir, NULL, path, sizeof(path),
                                              &copied, err, sizeof(err)),
                     1);
    assert_false(copied);
    /* The path does not fit: an error, never a truncated name. */
    char tiny[16];
    assert_int_equal(launcher_data_dir_config(f->dir, f->shipped, tiny,
                                              sizeof(tiny), &copied, err,
                                              sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "too long"));
    /* A data directory that cannot be created. */
    char blocked[128];
    snprintf(blocked, sizeof(blocked), "%s/source.yaml/data", f->dir);
    char file[128];
    snprintf(file, sizeof(file), "%s/source.yaml", f->dir);
    s_write(file, "x");
    assert_int_equal(launcher_data_dir_config(blocked, f->shipped, path,
                                              sizeof(path), &copied, err,
                                              sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "cannot create data directory"));
}

int
main(void)
{
    ps_log_init("test", PS_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_launcher_config_install_copies_with_mode_0640, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown(
            test_launcher_config_install_never_overwrites, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_launcher_config_install_errors,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(
            test_launcher_config_default_prefers_installed_copy, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown(
            test_launcher_config_first_start_copies_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(
            test_launcher_config_first_start_without_default, s_setup,
            s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
