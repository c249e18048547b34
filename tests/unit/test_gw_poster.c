/*  test_gw_poster - the poster proxy's pure parts
    (services/api-gateway/gw_poster): which poster paths may ever be
    fetched, how an image is recognised, and the cache's eviction of the
    least recently served files.                                         */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gw_poster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static void
test_gw_poster_path_accepts_tmdb_paths(void **state)
{
    (void)state;
    assert_true(gw_poster_path_valid("/u3bZgnGQ9T01sWNhyveQz0wH0Hl.jpg"));
    assert_true(gw_poster_path_valid("/a-b_c.d.png"));
}

static void
test_gw_poster_path_refuses_anything_else(void **state)
{
    (void)state;
    const char *bad[] = {NULL,
                         "",
                         "/",
                         "abc.jpg",
                         "/../etc/passwd.jpg",
                         "/a/b.jpg",
                         "/..jpg",
                         "/.hidden.jpg",
                         "/x.gif",
                         "/x.jpg?u=http://evil",
                         "/x.jpg#",
                         "//evil.example/x.jpg",
                         "/x%2f.jpg",
                         "/x.JPG",
                         "/x .jpg",
                         "/x.jpg\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(gw_poster_path_valid(bad[i]));
    char longest[140];
    longest[0] = '/';
    memset(longest + 1, 'a', 130);
    memcpy(longest + 131, ".jpg", 5);
    assert_false(gw_poster_path_valid(longest));
}

static void
test_gw_poster_sniff_knows_jpeg_and_png_only(void **state)
{
    (void)state;
    assert_string_equal(gw_poster_sniff("\xFF\xD8\xFF\xE0", 4), "image/jpeg");
    assert_string_equal(gw_poster_sniff("\x89PNG\r\n\x1a\n\0", 9), "image/png");
    assert_null(gw_poster_sniff("<html>", 6));
    assert_null(gw_poster_sniff("\xFF\xD8", 2));
}

static void
test_gw_poster_placeholder_is_svg(void **state)
{
    (void)state;
    assert_true(gw_poster_placeholder_len > 0);
    assert_int_equal(strncmp(gw_poster_placeholder, "<svg", 4), 0);
    assert_int_equal(strlen(gw_poster_placeholder), gw_poster_placeholder_len);
}

static void
s_file(const char *dir, const char *name, size_t size, time_t mtime)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < size; i++)
        fputc('x', f);
    fclose(f);
    struct timeval times[2] = {{mtime, 0}, {mtime, 0}};
    assert_int_equal(utimes(path, times), 0);
}

static bool
s_exists(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void
test_gw_poster_evict_removes_least_recently_served(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_gw_poster.XXXXXX";
    assert_non_null(mkdtemp(dir));
    s_file(dir, "old.jpg", 400, 1000);
    s_file(dir, "mid.jpg", 400, 2000);
    s_file(dir, "new.jpg", 400, 3000);
    s_file(dir, ".tmp-being-written", 5000, 10);
    assert_int_equal(gw_poster_evict(dir, 2000), 1200);
    assert_true(s_exists(dir, "old.jpg"));
    assert_int_equal(gw_poster_evict(dir, 800), 800);
    assert_false(s_exists(dir, "old.jpg"));
    assert_true(s_exists(dir, "mid.jpg"));
    assert_true(s_exists(dir, "new.jpg"));
    assert_true(s_exists(dir, ".tmp-being-written"));
    assert_int_equal(gw_poster_evict(dir, 0), 0);
    assert_false(s_exists(dir, "new.jpg"));
    assert_true(s_exists(dir, ".tmp-being-written"));
    char path[256];
    snprintf(path, sizeof(path), "%s/.tmp-being-written", dir);
    unlink(path);
    assert_int_equal(rmdir(dir), 0);
    assert_int_equal(gw_poster_evict(dir, 0), -1);
}

static void
test_gw_poster_cache_new_makes_its_directory(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_gw_poster.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char err[256];
    gw_poster_cache_t *cache = gw_poster_cache_new(dir, err, sizeof(err));
    assert_non_null(cache);
    char posters[128];
    snprintf(posters, sizeof(posters), "%s/posters", dir);
    struct stat info;
    assert_int_equal(stat(posters, &info), 0);
    assert_true(S_ISDIR(info.st_mode));
    gw_poster_cache_destroy(&cache);
    assert_null(cache);
    gw_poster_cache_destroy(&cache);
    gw_poster_cache_destroy(NULL);
    rmdir(posters);
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gw_poster_path_accepts_tmdb_paths),
        cmocka_unit_test(test_gw_poster_path_refuses_anything_else),
        cmocka_unit_test(test_gw_poster_sniff_knows_jpeg_and_png_only),
        cmocka_unit_test(test_gw_poster_placeholder_is_svg),
        cmocka_unit_test(test_gw_poster_evict_removes_least_recently_served),
        cmocka_unit_test(test_gw_poster_cache_new_makes_its_directory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
