/*  oversim_store - see overseerr_sim_store.h.

    Data model: one record per request, and each request has its own title
    (a distinct TMDB id), so a request's media row and its TMDB details live
    in the same record. Users are a fixed table generated at start. Records
    are kept in id order in a growing pointer array; lists filter it live,
    so approving a request shifts the pending list as it does in Overseerr.
    Generation uses one splitmix64 stream seeded by the caller: the same
    seed and clock give the same instance, and runtime additions continue
    the stream.                                                            */
#include "overseerr_sim_store.h"

#include "ps_parse.h"
#include "ps_time.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_DAY_MS (86400000LL)
#define S_MAX_USERS 12
#define S_MAX_SEASONS 30
#define S_MAX_GENRES 3
#define S_MAX_KEYWORDS 5
#define S_MAX_TITLE 256
#define S_MAX_ADD 10000
#define S_FIRST_REQUEST_ID 101
#define S_QUOTA_DAYS 7
#define S_IMAGE_BASE "https://image.tmdb.org/t/p/w600_and_h900_bestv2"

/* Permission bits (overseerr.md §9.2). */
#define S_PERM_ADMIN 2
#define S_PERM_MANAGE_USERS 8
#define S_PERM_REQUEST 32
#define S_PERM_REQUEST_4K 1024
#define S_PERM_REQUEST_4K_MOVIE 2048

typedef struct {
    int id;           /* TMDB genre id */
    const char *name; /* English name */
    int weight;       /* relative frequency when generating */
} s_genre_t;

static const s_genre_t s_movie_genres[] = {
    {28, "Action", 10},   {12, "Adventure", 6},  {16, "Animation", 5},
    {35, "Comedy", 10},   {80, "Crime", 6},      {99, "Documentary", 4},
    {18, "Drama", 14},    {10751, "Family", 4},  {14, "Fantasy", 4},
    {36, "History", 2},   {27, "Horror", 7},     {10402, "Music", 2},
    {9648, "Mystery", 4}, {10749, "Romance", 5}, {878, "Science Fiction", 6},
    {53, "Thriller", 8},  {10752, "War", 2},     {37, "Western", 1}};

static const s_genre_t s_tv_genres[] = {{10759, "Action & Adventure", 8},
                                        {16, "Animation", 6},
                                        {35, "Comedy", 10},
                                        {80, "Crime", 8},
                                        {99, "Documentary", 5},
                                        {18, "Drama", 14},
                                        {10751, "Family", 3},
                                        {10762, "Kids", 3},
                                        {9648, "Mystery", 5},
                                        {10763, "News", 1},
                                        {10764, "Reality", 4},
                                        {10765, "Sci-Fi & Fantasy", 7},
                                        {10766, "Soap", 2},
                                        {10767, "Talk", 1},
                                        {10768, "War & Politics", 2},
                                        {37, "Western", 1}};

#define S_N_MOVIE_GENRES (sizeof(s_movie_genres) / sizeof(s_movie_genres[0]))
#define S_N_TV_GENRES (sizeof(s_tv_genres) / sizeof(s_tv_genres[0]))

typedef struct {
    const char *code;    /* ISO-639-1 */
    const char *english; /* English name */
    const char *native;  /* name in the language itself */
    const char *country; /* ISO-3166-1 of the usual production country */
    const char *cname;   /* that country's English name */
    int weight;          /* relative frequency */
} s_lang_t;

static const s_lang_t s_langs[] = {
    {"en", "English", "English", "US", "United States of America", 62},
    {"ja", "Japanese", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "JP", "Japan",
     8},
    {"ko", "Korean", "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4", "KR",
     "South Korea", 6},
    {"fr", "French",
     "Fran\xc3\xa7"
     "ais",
     "FR", "France", 6},
    {"es", "Spanish", "Espa\xc3\xb1ol", "ES", "Spain", 5},
    {"de", "German", "Deutsch", "DE", "Germany", 3},
    {"hi", "Hindi",
     "\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\xa8\xe0\xa5\x8d"
     "\xe0\xa4\xa6\xe0\xa5\x80",
     "IN", "India", 3},
    {"it", "Italian", "Italiano", "IT", "Italy", 2},
    {"zh", "Chinese", "\xe6\x99\xae\xe9\x80\x9a\xe8\xaf\x9d", "CN", "China", 2},
    {"sv", "Swedish", "svenska", "SE", "Sweden", 1},
    {"da", "Danish", "Dansk", "DK", "Denmark", 1},
    {"pt", "Portuguese", "Portugu\xc3\xaas", "BR", "Brazil", 1}};

#define S_N_LANGS (sizeof(s_langs) / sizeof(s_langs[0]))

typedef struct {
    int id;           /* TMDB keyword id */
    const char *name; /* keyword */
} s_keyword_t;

static const s_keyword_t s_keywords[] = {{818, "based on novel or book"},
                                         {9715, "superhero"},
                                         {4565, "dystopia"},
                                         {12190, "cyberpunk"},
                                         {6091, "war"},
                                         {10183, "independent film"},
                                         {9748, "revenge"},
                                         {10714, "serial killer"},
                                         {9663, "sequel"},
                                         {5565, "biography"},
                                         {4379, "time travel"},
                                         {9882, "space"},
                                         {6054, "friendship"},
                                         {1155, "brother sister relationship"},
                                         {3133, "vampire"},
                                         {12377, "zombie"},
                                         {9951, "alien"},
                                         {1009, "haunted house"},
                                         {7312, "road trip"},
                                         {5950, "coming of age"},
                                         {11931, "heist"},
                                         {33637, "small town"},
                                         {15060, "period drama"},
                                         {9672, "based on true story"},
                                         {210024, "anime"}};

#define S_N_KEYWORDS (sizeof(s_keywords) / sizeof(s_keywords[0]))

typedef struct {
    int id;           /* TMDB network id */
    const char *name; /* network name */
    const char *cc;   /* origin country */
} s_network_t;

static const s_network_t s_networks[] = {{49, "HBO", "US"},
                                         {213, "Netflix", "US"},
                                         {1024, "Prime Video", "US"},
                                         {2552, "Apple TV+", "US"},
                                         {2739, "Disney+", "US"},
                                         {67, "Showtime", "US"},
                                         {174, "AMC", "US"},
                                         {19, "FOX", "US"},
                                         {6, "NBC", "US"},
                                         {4, "BBC One", "GB"}};

#define S_N_NETWORKS (sizeof(s_networks) / sizeof(s_networks[0]))

static const char *s_adjectives[] = {
    "Silent",  "Broken",   "Crimson", "Hidden", "Last",     "Endless",
    "Golden",  "Frozen",   "Burning", "Lost",   "Wild",     "Hollow",
    "Iron",    "Midnight", "Distant", "Savage", "Velvet",   "Electric",
    "Bitter",  "Quiet",    "Fallen",  "Secret", "Restless", "Scarlet",
    "Shallow", "Northern", "Pale",    "Neon",   "Sunken",   "Forgotten",
    "Little",  "Perfect",  "Eternal", "Dark",   "Bright",   "Glass",
    "Stolen",  "Lucky",    "Fading",  "Radiant"};

static const char *s_nouns[] = {
    "Harbor",   "Empire",   "Garden",    "Signal",  "Kingdom",  "Horizon",
    "River",    "Frontier", "Shadow",    "Machine", "Witness",  "Orchard",
    "Lantern",  "Storm",    "Tide",      "Mirror",  "Covenant", "Archive",
    "Citadel",  "Outpost",  "Protocol",  "Canyon",  "Voyage",   "Echo",
    "Summit",   "Paradox",  "Reckoning", "Station", "Hunter",   "Crown",
    "Island",   "Wolves",   "Letters",   "Engine",  "Moon",     "Heart",
    "Ember",    "Passage",  "Valley",    "Sparrow", "Requiem",  "Tower",
    "Carnival", "Cipher",   "Meridian",  "Tempest", "Ritual",   "Highway",
    "Fortune",  "Lullaby",  "Gambit",    "Monarch", "Shore",    "Vault",
    "Exodus",   "Dynasty",  "Mercy",     "Frost",   "Circuit",  "Season"};

static const char *s_names[] = {
    "Rosa",  "Milo",   "Ada",  "Jasper", "Nell",   "Otto", "Ruby",
    "Felix", "Iris",   "Abel", "Greta",  "Hector", "Luna", "Silas",
    "Vera",  "Tobias", "Wren", "Casper", "Edie",   "Bruno"};

static const char *s_places[] = {
    "Blackwater",      "Riverside",   "Ashford",   "Kingsport", "Marlow",
    "Redmoor",         "Eastgate",    "Silverton", "Hollowell", "Port Evelyn",
    "Brightwood",      "Castle Rock", "Newhaven",  "Greyfield", "Stonebridge",
    "Winterfell Road", "Cedar Falls", "Lakemont",  "Oakridge",  "Saltmarsh"};

static const char *s_roles[] = {
    "a retired detective", "a young pilot",       "two estranged sisters",
    "a small-town nurse",  "a disgraced chef",    "a reluctant heir",
    "a rookie journalist", "a band of smugglers", "an exiled prince",
    "a grieving father",   "a teenage hacker",    "a former spy",
    "a family of farmers", "a stranded crew",     "an ambitious lawyer"};

static const char *s_goals[] = {
    "uncover a conspiracy",       "save a failing business",
    "survive a brutal winter",    "win back a lost love",
    "solve a string of murders",  "escape a collapsing city",
    "protect a dangerous secret", "reunite a scattered family",
    "pull off one final job",     "expose a corrupt empire",
    "find a missing child",       "stop an ancient curse"};

static const char *s_threats[] = {"time runs out",
                                  "the storm makes landfall",
                                  "the truth destroys them",
                                  "an old enemy returns",
                                  "the authorities close in",
                                  "the war reaches their door",
                                  "the election",
                                  "the signal fades for good",
                                  "the harvest fails",
                                  "the last train leaves"};

static const char *s_first_names[] = {
    "Marie", "Thomas", "Kim",    "Lucas", "Sofia",  "Daniel", "Emma",  "Hugo",
    "Priya", "Mateo",  "Chloe",  "Jonas", "Aisha",  "Noah",   "Elena", "Oscar",
    "Yuki",  "Leila",  "Samuel", "Nina",  "Ravi",   "Clara",  "Felix", "Ines",
    "Omar",  "Julia",  "Mika",   "Zoe",   "Victor", "Hana"};

static const char *s_last_names[] = {
    "Dubois",    "Nguyen",    "Martin", "Garcia", "Schmidt", "Rossi",
    "Kowalski",  "Johansson", "Silva",  "Patel",  "Bernard", "Moreau",
    "Fischer",   "Lopez",     "Novak",  "Tanaka", "Haddad",  "Okafor",
    "Lindqvist", "Murphy",    "Costa",  "Weber",  "Petit",   "Kim",
    "Andersen",  "Romano",    "Mendes", "Sato",   "Jensen",  "Leroy"};

#define S_COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Account ages in days for users 1..12: the owner is six years old, the
   newest account five days. */
static const int s_user_age_days[S_MAX_USERS] = {
    2190, 1650, 1200, 980, 730, 540, 400, 210, 95, 30, 12, 5};

/* How often users 2..12 request (user 1, the owner, never has pending
   requests: an admin's requests are auto-approved). */
static const int s_user_weight[S_MAX_USERS] = {0, 6, 5, 5, 4, 4,
                                               3, 3, 3, 2, 2, 2};

typedef struct {
    int id;                 /* user id, 1 is the owner */
    int permissions;        /* permission bitmask (§9.2) */
    int user_type;          /* 1 Plex, 2 local */
    char email[96];         /* lower-case email */
    char plex_username[48]; /* "" when null */
    char username[48];      /* "" when null */
    char avatar[160];       /* avatar URL */
    char locale[8];         /* settings.locale */
    char discord_id[24];    /* "" when null */
    int64_t plex_id;        /* 0 when null */
    int movie_quota_limit;  /* -1 when null */
    int movie_quota_days;   /* -1 when null */
    int tv_quota_limit;     /* -1 when null */
    int tv_quota_days;      /* -1 when null */
    int64_t created_ms;     /* account creation */
    int64_t updated_ms;     /* last update */
    int history;            /* older requests not held in the store */
} s_user_t;

typedef struct {
    int tmdb_id;                     /* distinct per request */
    bool is_tv;                      /* tv or movie */
    char title[S_MAX_TITLE];         /* title or name */
    char overview[400];              /* synopsis */
    char poster[40];                 /* "/xxxx.jpg" */
    char backdrop[40];               /* "/xxxx.jpg" */
    char imdb[16];                   /* "tt..." */
    char status[24];                 /* TMDB status string */
    char cert[8];                    /* US certification / rating, or "" */
    int lang;                        /* index into s_langs */
    int64_t release_ms;              /* release / first air date */
    int genres[S_MAX_GENRES];        /* indexes into the type's table */
    int n_genres;                    /* used entries of genres */
    int keywords[S_MAX_KEYWORDS];    /* indexes into s_keywords */
    int n_keywords;                  /* used entries of keywords */
    double vote_average;             /* 0 for upcoming titles */
    int vote_count;                  /* 0 for upcoming titles */
    double popularity;               /* TMDB popularity */
    int runtime;                     /* movie minutes, tv episode minutes
                                        (0: episodeRunTime []) */
    int64_t budget;                  /* movie budget, USD */
    int64_t revenue;                 /* movie revenue, USD */
    int tvdb_id;                     /* tv only */
    int network;                     /* tv only, index into s_networks */
    int n_seasons;                   /* tv only, seasons 1..n */
    bool has_specials;               /* tv only, season 0 exists */
    bool specials_dated;             /* tv only, season 0 has an airDate */
    int episodes[S_MAX_SEASONS + 1]; /* tv only, episodes per season */
    int season_tmdb_id;              /* tv only, id of season 0 / 1 */
} s_title_t;

typedef struct {
    int id;                        /* request id */
    int status;                    /* MediaRequestStatus 1..4 */
    int64_t created_ms;            /* request createdAt */
    int64_t updated_ms;            /* request updatedAt */
    bool is4k;                     /* a 4K request */
    int user;                      /* index into users (requester) */
    int modified_by;               /* index into users, -1 when null */
    int media_id;                  /* Overseerr media row id */
    int media_status;              /* MediaStatus of the HD version */
    int media_status4k;            /* MediaStatus of the 4K version */
    int64_t media_created_ms;      /* media createdAt */
    int64_t media_updated_ms;      /* media updatedAt */
    int64_t media_added_ms;        /* mediaAddedAt, 0 when null */
    int external_id;               /* Radarr/Sonarr id, 0 when null */
    int rating_key;                /* Plex rating key, 0 when null */
    int seasons[S_MAX_SEASONS];    /* requested season numbers */
    int season_ids[S_MAX_SEASONS]; /* SeasonRequest ids */
    int n_seasons;                 /* used entries of seasons */
    int approve_calls;             /* POST .../approve received */
    int decline_calls;             /* POST .../decline received */
    int64_t decided_us;            /* wall clock (us) of the approve/decline
                                      that took, 0 before: the benchmark's
                                      end point, at the resolution it needs */
    s_title_t t;                   /* the requested title */
} s_req_t;

struct oversim_store {
    pthread_mutex_t lock;        /* guards every field below */
    uint64_t rng;                /* splitmix64 state */
    bool seerr;                  /* 409 on non-pending approve/decline */
    s_user_t users[S_MAX_USERS]; /* fixed user table, users[i].id = i+1 */
    int n_users;                 /* used entries of users */
    s_req_t **reqs;              /* requests, ascending id */
    size_t n_reqs;               /* used entries of reqs */
    size_t cap_reqs;             /* allocated entries of reqs */
    int next_id;                 /* next request id */
    int next_media_id;           /* next media row id */
    int next_season_id;          /* next SeasonRequest id */
    long approve_calls;          /* total approve calls on known ids */
    long decline_calls;          /* total decline calls on known ids */
};

/* ------------------------------------------------------------------ */
/* Random numbers and small helpers                                    */

static uint64_t
s_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A uniform integer in [lo, hi]. */
static int
s_range(uint64_t *state, int lo, int hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int)(s_next(state) % (uint64_t)(hi - lo + 1));
}

/* A uniform double in [0, 1). */
static double
s_unit(uint64_t *state)
{
    return (double)(s_next(state) >> 11) / 9007199254740992.0;
}

static bool
s_chance(uint64_t *state, int percent)
{
    return s_range(state, 0, 99) < percent;
}

static double
s_round3(double value)
{
    return round(value * 1000.0) / 1000.0;
}

static const char *
s_pick(uint64_t *state, const char **list, int count)
{
    return list[s_range(state, 0, count - 1)];
}

/* snprintf that reports truncation as failure (STYLE.md §6). */
static bool s_fmt(char *buf, size_t len, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static bool
s_fmt(char *buf, size_t len, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vsnprintf(buf, len, format, args);
    va_end(args);
    return n >= 0 && (size_t)n < len;
}

static void
s_lower(char *text)
{
    for (; *text; text++)
        *text = (char)tolower((unsigned char)*text);
}

static void
s_random_path(uint64_t *state, char *buf, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t n = 0;
    if (len < 33)
        return;
    buf[n++] = '/';
    for (int i = 0; i < 27; i++)
        buf[n++] = alphabet[s_range(state, 0, 61)];
    memcpy(buf + n, ".jpg", 5);
}

/* ------------------------------------------------------------------ */
/* JSON helpers                                                        */

static json_t *
s_iso(int64_t ms)
{
    char buf[32];
    /* Overseerr's database keeps whole seconds: "...:40.000Z". */
    if (ps_time_format_iso(ms - ms % 1000, buf, sizeof(buf)) != 0)
        return json_null();
    return json_string(buf);
}

/* "YYYY-MM-DD" of an epoch time. */
static void
s_date(int64_t ms, char *buf, size_t len)
{
    char iso[32];
    if (len < 11 || ps_time_format_iso(ms, iso, sizeof(iso)) != 0) {
        if (len)
            buf[0] = '\0';
        return;
    }
    memcpy(buf, iso, 10);
    buf[10] = '\0';
}

static json_t *
s_date_json(int64_t ms)
{
    char buf[16];
    s_date(ms, buf, sizeof(buf));
    return json_string(buf);
}

static json_t *
s_str_or_null(const char *text)
{
    return text && *text ? json_string(text) : json_null();
}

static json_t *
s_int_or_null(int64_t value, bool present)
{
    return present ? json_integer(value) : json_null();
}

static json_t *
s_message(const char *text)
{
    return json_pack("{s:s}", "message", text);
}

/* The shape express-openapi-validator gives a rejected parameter. */
static json_t *
s_validation(const char *where, const char *what, const char *code)
{
    char message[512];
    char path[128];
    if (!s_fmt(message, sizeof(message), "request/%s %s", where, what))
        message[0] = '\0';
    if (!s_fmt(path, sizeof(path), "/%s", where))
        path[0] = '\0';
    return json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "message", message, "errors",
                     "path", path, "message", what, "errorCode", code);
}

/* Copies a value of the URL query string into buf, %-decoded. Returns 1
   when found, 0 when absent, -1 when too long. */
static int
s_query_get(const char *query, const char *name, char *buf, size_t len)
{
    size_t name_len = strlen(name);
    const char *p = query;
    while (p && *p) {
        const char *end = strchr(p, '&');
        size_t item_len = end ? (size_t)(end - p) : strlen(p);
        if (item_len > name_len && strncmp(p, name, name_len) == 0
            && p[name_len] == '=') {
            size_t o = 0;
            for (size_t i = name_len + 1; i < item_len; i++) {
                char c = p[i];
                if (c == '+')
                    c = ' ';
                else if (c == '%' && i + 2 < item_len
                         && isxdigit((unsigned char)p[i + 1])
                         && isxdigit((unsigned char)p[i + 2])) {
                    char hex[3] = {p[i + 1], p[i + 2], '\0'};
                    c = (char)strtol(hex, NULL, 16);
                    i += 2;
                }
                if (o + 1 >= len)
                    return -1;
                buf[o++] = c;
            }
            buf[o] = '\0';
            return 1;
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Generation                                                          */

static int
s_pick_weighted_genre(uint64_t *state, const s_genre_t *table, int count)
{
    int total = 0;
    for (int i = 0; i < count; i++)
        total += table[i].weight;
    int r = s_range(state, 0, total - 1);
    for (int i = 0; i < count; i++) {
        if (r < table[i].weight)
            return i;
        r -= table[i].weight;
    }
    return 0;
}

static int
s_pick_lang(uint64_t *state)
{
    int total = 0;
    for (size_t i = 0; i < S_N_LANGS; i++)
        total += s_langs[i].weight;
    int r = s_range(state, 0, total - 1);
    for (size_t i = 0; i < S_N_LANGS; i++) {
        if (r < s_langs[i].weight)
            return (int)i;
        r -= s_langs[i].weight;
    }
    return 0;
}

static bool
s_has_genre(const s_title_t *t, int genre_id)
{
    const s_genre_t *table = t->is_tv ? s_tv_genres : s_movie_genres;
    for (int i = 0; i < t->n_genres; i++)
        if (table[t->genres[i]].id == genre_id)
            return true;
    return false;
}

static void
s_gen_users(oversim_store_t *self, int64_t now_ms)
{
    uint64_t *rng = &self->rng;
    int first[S_COUNT(s_first_names)];
    int last[S_COUNT(s_last_names)];
    for (int i = 0; i < S_COUNT(s_first_names); i++)
        first[i] = i;
    for (int i = 0; i < S_COUNT(s_last_names); i++)
        last[i] = i;
    for (int i = S_COUNT(s_first_names) - 1; i > 0; i--) {
        int j = s_range(rng, 0, i);
        int tmp = first[i];
        first[i] = first[j];
        first[j] = tmp;
    }
    for (int i = S_COUNT(s_last_names) - 1; i > 0; i--) {
        int j = s_range(rng, 0, i);
        int tmp = last[i];
        last[i] = last[j];
        last[j] = tmp;
    }
    static const char *domains[] = {"example.org", "example.com",
                                    "example.net"};
    static const char *locales[] = {"en", "en", "fr", "de", "es", ""};
    self->n_users = S_MAX_USERS;
    for (int i = 0; i < S_MAX_USERS; i++) {
        s_user_t *u = &self->users[i];
        const char *fn = s_first_names[first[i]];
        const char *ln = s_last_names[last[i]];
        u->id = i + 1;
        u->permissions = S_PERM_REQUEST;
        if (i == 0)
            u->permissions = S_PERM_ADMIN;
        else if (i == 1 || i == 2)
            u->permissions = S_PERM_REQUEST | S_PERM_REQUEST_4K;
        else if (i == 5)
            u->permissions =
                S_PERM_REQUEST | S_PERM_REQUEST_4K | S_PERM_REQUEST_4K_MOVIE;
        u->user_type = (i == 0 || s_chance(rng, 70)) ? 1 : 2;
        const char *domain = domains[s_range(rng, 0, 2)];
        if (u->user_type == 1) {
            if (!s_fmt(u->plex_username, sizeof(u->plex_username), "%s%s", fn,
                       ln))
                u->plex_username[0] = '\0';
            s_lower(u->plex_username);
            u->plex_id = s_range(rng, 1000000, 60000000);
            if (!s_fmt(u->email, sizeof(u->email), "%s.%s@%s", fn, ln, domain))
                u->email[0] = '\0';
            uint64_t hash = s_next(rng);
            int64_t stamp = (now_ms - s_range(rng, 1, 400) * S_DAY_MS) / 1000;
            if (!s_fmt(u->avatar, sizeof(u->avatar),
                       "https://plex.tv/users/%016llx/avatar?c=%lld",
                       (unsigned long long)hash, (long long)stamp))
                u->avatar[0] = '\0';
        } else {
            if (!s_fmt(u->username, sizeof(u->username), "%s_%c", fn, ln[0]))
                u->username[0] = '\0';
            s_lower(u->username);
            if (!s_fmt(u->email, sizeof(u->email), "%s.%c@%s", fn, ln[0],
                       domain))
                u->email[0] = '\0';
            uint64_t h1 = s_next(rng);
            uint64_t h2 = s_next(rng);
            if (!s_fmt(u->avatar, sizeof(u->avatar),
                       "https://gravatar.com/avatar/%016llx%016llx"
                       "?default=mm&size=200",
                       (unsigned long long)h1, (unsigned long long)h2))
                u->avatar[0] = '\0';
        }
        s_lower(u->email);
        snprintf(u->locale, sizeof(u->locale), "%s",
                 locales[s_range(rng, 0, S_COUNT(locales) - 1)]);
        if (i == 0 || s_chance(rng, 25)) {
            if (!s_fmt(u->discord_id, sizeof(u->discord_id), "%llu",
                       (unsigned long long)(100000000000000000ULL
                                            + s_next(rng)
                                                  % 900000000000000000ULL)))
                u->discord_id[0] = '\0';
        }
        int age = s_user_age_days[i];
        u->created_ms = now_ms - (int64_t)age * S_DAY_MS
                        - s_range(rng, 0, 20 * 3600) * 1000LL;
        u->updated_ms = now_ms - s_range(rng, 600, 48 * 3600) * 1000LL;
        u->movie_quota_limit = u->movie_quota_days = -1;
        u->tv_quota_limit = u->tv_quota_days = -1;
        if (age < 60) {
            u->movie_quota_limit = 5;
            u->movie_quota_days = 7;
            u->tv_quota_limit = 4;
            u->tv_quota_days = 14;
        } else if (i == 4) {
            u->movie_quota_limit = 10;
            u->movie_quota_days = 30;
        }
        u->history = i == 0 ? 64 : s_range(rng, 0, age / 40 + 1);
    }
}

static bool
s_title_taken(const oversim_store_t *self, const char *title)
{
    for (size_t i = 0; i < self->n_reqs; i++)
        if (strcmp(self->reqs[i]->t.title, title) == 0)
            return true;
    return false;
}

static bool
s_tmdb_taken(const oversim_store_t *self, int tmdb_id)
{
    for (size_t i = 0; i < self->n_reqs; i++)
        if (self->reqs[i]->t.tmdb_id == tmdb_id)
            return true;
    return false;
}

static void
s_gen_title_text(uint64_t *rng, bool is_tv, char *buf, size_t len)
{
    const char *adj = s_pick(rng, s_adjectives, S_COUNT(s_adjectives));
    const char *noun = s_pick(rng, s_nouns, S_COUNT(s_nouns));
    const char *noun2 = s_pick(rng, s_nouns, S_COUNT(s_nouns));
    const char *name = s_pick(rng, s_names, S_COUNT(s_names));
    const char *place = s_pick(rng, s_places, S_COUNT(s_places));
    bool ok = false;
    int pattern = s_range(rng, 0, is_tv ? 5 : 7);
    if (is_tv) {
        switch (pattern) {
            case 0:
                ok = s_fmt(buf, len, "%s %s", adj, noun);
                break;
            case 1:
                ok = s_fmt(buf, len, "The %s", noun);
                break;
            case 2:
                ok = s_fmt(buf, len, "%s", place);
                break;
            case 3:
                ok = s_fmt(buf, len, "%s & %s", name,
                           s_pick(rng, s_names, S_COUNT(s_names)));
                break;
            case 4:
                ok = s_fmt(buf, len, "The %s of %s", noun, place);
                break;
            default:
                ok = s_fmt(buf, len, "%s %s", place, noun);
                break;
        }
    } else {
        switch (pattern) {
            case 0:
                ok = s_fmt(buf, len, "The %s %s", adj, noun);
                break;
            case 1:
                ok = s_fmt(buf, len, "%s of the %s", noun, noun2);
                break;
            case 2:
                ok = s_fmt(buf, len, "%s %s", adj, noun);
                break;
            case 3:
                ok = s_fmt(buf, len, "%s's %s", name, noun);
                break;
            case 4:
                ok = s_fmt(buf, len, "%s: %s %s", noun, adj, noun2);
                break;
            case 5:
                ok = s_fmt(buf, len, "The Last %s", noun);
                break;
            case 6:
                ok = s_fmt(buf, len, "%s %d", noun, s_range(rng, 2, 4));
                break;
            default:
                ok = s_fmt(buf, len, "%s in %s", adj, place);
                break;
        }
    }
    if (!ok)
        buf[0] = '\0';
}

static void
s_gen_cert(uint64_t *rng, s_title_t *t, bool upcoming)
{
    const char *cert = "";
    if (upcoming && s_chance(rng, 50)) {
        t->cert[0] = '\0';
        return;
    }
    bool kids =
        s_has_genre(t, 10751) || s_has_genre(t, 16) || s_has_genre(t, 10762);
    bool dark = s_has_genre(t, 27) || s_has_genre(t, 80)
                || s_has_genre(t, 10752) || s_has_genre(t, 10768);
    int r = s_range(rng, 0, 99);
    if (t->is_tv) {
        if (kids)
            cert = r < 30   ? "TV-Y"
                   : r < 55 ? "TV-Y7"
                   : r < 80 ? "TV-G"
                            : "TV-PG";
        else if (dark)
            cert = r < 35 ? "TV-14" : "TV-MA";
        else
            cert = r < 20 ? "TV-PG" : r < 60 ? "TV-14" : "TV-MA";
    } else {
        if (kids)
            cert = r < 40 ? "G" : r < 85 ? "PG" : "PG-13";
        else if (s_has_genre(t, 27))
            cert = r < 15 ? "PG-13" : r < 96 ? "R" : "NC-17";
        else
            cert = r < 3    ? "G"
                   : r < 18 ? "PG"
                   : r < 53 ? "PG-13"
                   : r < 93 ? "R"
                   : r < 95 ? "NC-17"
                            : "";
    }
    snprintf(t->cert, sizeof(t->cert), "%s", cert);
}

static void
s_gen_overview(uint64_t *rng, s_title_t *t)
{
    const char *place = s_pick(rng, s_places, S_COUNT(s_places));
    if (!s_fmt(t->overview, sizeof(t->overview), "In %s, %s must %s before %s.",
               place, s_pick(rng, s_roles, S_COUNT(s_roles)),
               s_pick(rng, s_goals, S_COUNT(s_goals)),
               s_pick(rng, s_threats, S_COUNT(s_threats))))
        t->overview[0] = '\0';
}

/* Fills every TMDB field of t except title and tmdb id. */
static void
s_gen_details(uint64_t *rng, s_title_t *t, int64_t now_ms)
{
    const s_genre_t *table = t->is_tv ? s_tv_genres : s_movie_genres;
    int n_table = t->is_tv ? (int)S_N_TV_GENRES : (int)S_N_MOVIE_GENRES;
    int want = s_range(rng, 1, 3);
    t->n_genres = 0;
    for (int tries = 0; t->n_genres < want && tries < 20; tries++) {
        int g = s_pick_weighted_genre(rng, table, n_table);
        bool dup = false;
        for (int i = 0; i < t->n_genres; i++)
            dup = dup || t->genres[i] == g;
        if (!dup)
            t->genres[t->n_genres++] = g;
    }
    t->n_keywords = s_range(rng, 1, S_MAX_KEYWORDS);
    for (int i = 0; i < t->n_keywords; i++) {
        int k = s_range(rng, 0, (int)S_N_KEYWORDS - 1);
        for (int j = 0; j < i; j++)
            if (t->keywords[j] == k)
                k = (k + 1) % (int)S_N_KEYWORDS;
        t->keywords[i] = k;
    }
    t->lang = s_pick_lang(rng);
    if (s_has_genre(t, 16) && s_chance(rng, 40))
        t->lang = 1; /* much animation is Japanese */
    bool upcoming = s_chance(rng, 8);
    s_random_path(rng, t->poster, sizeof(t->poster));
    s_random_path(rng, t->backdrop, sizeof(t->backdrop));
    if (!s_fmt(t->imdb, sizeof(t->imdb), "tt%07d",
               s_range(rng, 100000, 32000000)))
        t->imdb[0] = '\0';
    s_gen_overview(rng, t);
    t->popularity = s_round3(exp(log(0.6) + s_unit(rng) * log(400.0 / 0.6)));
    if (upcoming) {
        t->vote_average = 0;
        t->vote_count = 0;
        t->popularity = s_round3(t->popularity / 3 + 0.6);
        snprintf(t->status, sizeof(t->status), "%s",
                 s_chance(rng, 50) ? "Planned" : "In Production");
        t->release_ms = now_ms + s_range(rng, 20, 500) * S_DAY_MS;
    } else {
        double spread = s_unit(rng) + s_unit(rng) + s_unit(rng) - 1.5;
        double vote = 6.4 + spread * 2.4;
        vote = vote < 2.0 ? 2.0 : vote > 9.3 ? 9.3 : vote;
        t->vote_average = s_round3(vote);
        t->vote_count = (int)floor(exp(s_unit(rng) * log(30001.0)));
        if (t->vote_count > 30000)
            t->vote_count = 30000;
        int r = s_range(rng, 0, 99);
        int days = r < 60   ? s_range(rng, 30, 1825)
                   : r < 85 ? s_range(rng, 1826, 12775)
                            : s_range(rng, 12776, 27000);
        t->release_ms = now_ms - (int64_t)days * S_DAY_MS;
        snprintf(t->status, sizeof(t->status), "Released");
    }
    /* Dates are whole days. */
    t->release_ms -= t->release_ms % S_DAY_MS;
    if (!t->is_tv) {
        t->runtime = s_has_genre(t, 16)   ? s_range(rng, 75, 105)
                     : s_has_genre(t, 99) ? s_range(rng, 70, 120)
                                          : s_range(rng, 85, 175);
        if (upcoming) {
            t->budget = 0;
            t->revenue = 0;
        } else {
            t->budget = (int64_t)s_range(rng, 0, 200) * 1000000;
            t->revenue = t->budget * s_range(rng, 0, 40) / 10;
        }
        s_gen_cert(rng, t, upcoming);
        return;
    }
    static const int runtimes[] = {22, 24, 30, 42, 45, 50, 55, 60};
    t->runtime = s_chance(rng, 25) ? 0 : runtimes[s_range(rng, 0, 7)];
    t->tvdb_id = s_range(rng, 70000, 450000);
    t->network = s_range(rng, 0, (int)S_N_NETWORKS - 1);
    t->season_tmdb_id = s_range(rng, 3000, 400000);
    int r = s_range(rng, 0, 99);
    int n = r < 40   ? 1
            : r < 60 ? 2
            : r < 75 ? s_range(rng, 3, 4)
            : r < 90 ? s_range(rng, 5, 9)
                     : s_range(rng, 10, 25);
    bool streaming = s_chance(rng, 60);
    if (upcoming) {
        n = 1;
    } else {
        bool returning = s_chance(rng, 45);
        int back = returning ? s_range(rng, 30, 400) : s_range(rng, 400, 5000);
        t->release_ms = now_ms - ((int64_t)(n - 1) * 365 + back) * S_DAY_MS;
        t->release_ms -= t->release_ms % S_DAY_MS;
        snprintf(t->status, sizeof(t->status), "%s",
                 returning           ? "Returning Series"
                 : s_chance(rng, 75) ? "Ended"
                                     : "Canceled");
    }
    t->n_seasons = n;
    t->has_specials = !upcoming && s_chance(rng, 40);
    t->specials_dated = s_chance(rng, 70);
    t->episodes[0] = t->has_specials ? s_range(rng, 1, 20) : 0;
    for (int s = 1; s <= n; s++)
        t->episodes[s] = streaming ? s_range(rng, 6, 13) : s_range(rng, 18, 24);
    s_gen_cert(rng, t, upcoming);
}

/* The air date of season `s` (1-based), from the first air date. */
static int64_t
s_season_air_ms(const s_title_t *t, int s)
{
    return t->release_ms + (int64_t)(s - 1) * 365 * S_DAY_MS
           + (int64_t)((s * 37) % 60) * S_DAY_MS;
}

static s_req_t *
s_append(oversim_store_t *self)
{
    if (self->n_reqs == self->cap_reqs) {
        size_t cap = self->cap_reqs ? self->cap_reqs * 2 : 64;
        s_req_t **grown = realloc(self->reqs, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        self->reqs = grown;
        self->cap_reqs = cap;
    }
    s_req_t *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    self->reqs[self->n_reqs++] = r;
    return r;
}

static int
s_pick_requester(oversim_store_t *self, bool is4k)
{
    int total = 0;
    for (int i = 0; i < self->n_users; i++) {
        bool can4k = (self->users[i].permissions & S_PERM_REQUEST_4K) != 0;
        if (!is4k || can4k)
            total += s_user_weight[i];
    }
    if (total == 0)
        return 1;
    int r = s_range(&self->rng, 0, total - 1);
    for (int i = 0; i < self->n_users; i++) {
        bool can4k = (self->users[i].permissions & S_PERM_REQUEST_4K) != 0;
        if (is4k && !can4k)
            continue;
        if (r < s_user_weight[i])
            return i;
        r -= s_user_weight[i];
    }
    return 1;
}

/* Picks which seasons a TV request asks for. */
static void
s_gen_requested_seasons(oversim_store_t *self, s_req_t *r)
{
    uint64_t *rng = &self->rng;
    int n = r->t.n_seasons;
    int from = 1;
    int to = n;
    int kind = s_range(rng, 0, 99);
    if (n > 1) {
        if (kind < 35) {
            from = 1;
            to = n;
        } else if (kind < 65) {
            from = to = 1;
        } else if (kind < 85) {
            from = to = n;
        } else {
            from = s_range(rng, 1, n);
            to = s_range(rng, from, n);
        }
    }
    r->n_seasons = 0;
    for (int s = from; s <= to && r->n_seasons < S_MAX_SEASONS; s++) {
        r->seasons[r->n_seasons] = s;
        r->season_ids[r->n_seasons] = self->next_season_id++;
        r->n_seasons++;
    }
}

/* Creates one pending request. `title` NULL means a generated title;
   `type` is 0 random, 1 movie, 2 tv; `is4k` -1 random. */
static s_req_t *
s_create(oversim_store_t *self, const char *title, int type, int is4k, int user,
         int64_t created_ms)
{
    uint64_t *rng = &self->rng;
    s_title_t t;
    memset(&t, 0, sizeof(t));
    t.is_tv = type == 0 ? s_chance(rng, 40) : type == 2;
    for (int tries = 0;; tries++) {
        int id =
            t.is_tv ? s_range(rng, 1000, 260000) : s_range(rng, 1000, 1300000);
        if (!s_tmdb_taken(self, id) || tries > 1000) {
            t.tmdb_id = id;
            break;
        }
    }
    if (title) {
        snprintf(t.title, sizeof(t.title), "%s", title);
    } else {
        /* Titles are distinct; after many collisions a duplicate is
           accepted, which real libraries have too (remakes). */
        for (int tries = 0; tries < 50; tries++) {
            s_gen_title_text(rng, t.is_tv, t.title, sizeof(t.title));
            if (t.title[0] && !s_title_taken(self, t.title))
                break;
        }
    }
    s_gen_details(rng, &t, created_ms);
    s_req_t *r = s_append(self);
    if (!r)
        return NULL;
    r->t = t;
    r->id = self->next_id++;
    r->status = 1;
    r->created_ms = r->updated_ms = created_ms;
    r->is4k = is4k < 0 ? s_chance(rng, 10) : is4k == 1;
    r->user = user >= 0 ? user : s_pick_requester(self, r->is4k);
    r->modified_by = -1;
    r->media_id = self->next_media_id++;
    r->media_created_ms = r->media_updated_ms = created_ms;
    if (r->is4k) {
        r->media_status4k = 2;
        r->media_status = 1;
        if (s_chance(rng, 60)) {
            /* The HD version is already in Plex. */
            r->media_status = 5;
            r->media_created_ms = created_ms - s_range(rng, 10, 600) * S_DAY_MS;
            r->media_added_ms = r->media_created_ms + 2 * S_DAY_MS;
            r->external_id = s_range(rng, 1, 900);
            r->rating_key = s_range(rng, 1000, 90000);
        }
    } else {
        r->media_status = 2;
        r->media_status4k = 1;
    }
    if (r->t.is_tv)
        s_gen_requested_seasons(self, r);
    return r;
}

oversim_store_t *
oversim_store_new(uint64_t seed, int requests, int64_t now_ms)
{
    oversim_store_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    if (pthread_mutex_init(&self->lock, NULL) != 0) {
        free(self);
        return NULL;
    }
    self->rng = seed;
    self->next_id = S_FIRST_REQUEST_ID;
    self->next_media_id = 301;
    self->next_season_id = 501;
    s_gen_users(self, now_ms);
    if (requests < 0)
        requests = 0;
    /* Pending requests trickle in over the last three weeks. */
    int64_t span = 21 * S_DAY_MS;
    int64_t step = span / (requests + 1);
    for (int i = 0; i < requests; i++) {
        int64_t created = now_ms - span + step * (i + 1)
                          - s_range(&self->rng, 0, (int)(step / 2000)) * 1000LL;
        if (!s_create(self, NULL, 0, -1, -1, created)) {
            oversim_store_destroy(&self);
            return NULL;
        }
    }
    return self;
}

void
oversim_store_destroy(oversim_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    oversim_store_t *self = *self_p;
    for (size_t i = 0; i < self->n_reqs; i++)
        free(self->reqs[i]);
    free(self->reqs);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

void
oversim_store_set_seerr(oversim_store_t *self, bool seerr)
{
    pthread_mutex_lock(&self->lock);
    self->seerr = seerr;
    pthread_mutex_unlock(&self->lock);
}

/* ------------------------------------------------------------------ */
/* JSON shapes                                                         */

static int
s_request_count(const oversim_store_t *self, int user)
{
    int n = self->users[user].history;
    for (size_t i = 0; i < self->n_reqs; i++)
        if (self->reqs[i]->user == user)
            n++;
    return n;
}

static const char *
s_display_name(const s_user_t *u)
{
    if (u->username[0])
        return u->username;
    if (u->plex_username[0])
        return u->plex_username;
    return u->email;
}

static json_t *
s_settings_json(const s_user_t *u)
{
    json_t *types =
        json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "email", 8190,
                  "discord", 0, "pushbullet", 0, "pushover", 0, "slack", 0,
                  "telegram", 0, "webhook", 0, "webpush", 8190);
    json_t *s = json_object();
    json_object_set_new(s, "id", json_integer(u->id));
    json_object_set_new(s, "locale", json_string(u->locale));
    json_object_set_new(s, "region", json_null());
    json_object_set_new(s, "originalLanguage", json_null());
    json_object_set_new(s, "pgpKey", json_null());
    json_object_set_new(s, "discordId", s_str_or_null(u->discord_id));
    json_object_set_new(s, "pushbulletAccessToken", json_null());
    json_object_set_new(s, "pushoverApplicationToken", json_null());
    json_object_set_new(s, "pushoverUserKey", json_null());
    json_object_set_new(s, "pushoverSound", json_null());
    json_object_set_new(s, "telegramChatId", json_null());
    json_object_set_new(s, "telegramSendSilently", json_null());
    json_object_set_new(s, "watchlistSyncMovies", json_null());
    json_object_set_new(s, "watchlistSyncTv", json_null());
    json_object_set_new(s, "notificationTypes", types);
    return s;
}

static json_t *
s_user_json(const oversim_store_t *self, int index, bool with_settings)
{
    const s_user_t *u = &self->users[index];
    json_t *o = json_object();
    json_object_set_new(o, "permissions", json_integer(u->permissions));
    json_object_set_new(o, "id", json_integer(u->id));
    json_object_set_new(o, "email", json_string(u->email));
    json_object_set_new(o, "plexUsername", s_str_or_null(u->plex_username));
    json_object_set_new(o, "username", s_str_or_null(u->username));
    json_object_set_new(o, "recoveryLinkExpirationDate", json_null());
    json_object_set_new(o, "userType", json_integer(u->user_type));
    json_object_set_new(o, "plexId", s_int_or_null(u->plex_id, u->plex_id));
    json_object_set_new(o, "avatar", json_string(u->avatar));
    json_object_set_new(
        o, "movieQuotaLimit",
        s_int_or_null(u->movie_quota_limit, u->movie_quota_limit >= 0));
    json_object_set_new(
        o, "movieQuotaDays",
        s_int_or_null(u->movie_quota_days, u->movie_quota_days >= 0));
    json_object_set_new(
        o, "tvQuotaLimit",
        s_int_or_null(u->tv_quota_limit, u->tv_quota_limit >= 0));
    json_object_set_new(o, "tvQuotaDays",
                        s_int_or_null(u->tv_quota_days, u->tv_quota_days >= 0));
    json_object_set_new(o, "createdAt", s_iso(u->created_ms));
    json_object_set_new(o, "updatedAt", s_iso(u->updated_ms));
    if (with_settings)
        json_object_set_new(o, "settings", s_settings_json(u));
    json_object_set_new(o, "requestCount",
                        json_integer(s_request_count(self, index)));
    json_object_set_new(o, "displayName", json_string(s_display_name(u)));
    return o;
}

static json_t *
s_media_json(const s_req_t *r, bool with_seasons)
{
    bool linked = r->external_id != 0;
    char slug[16];
    char key[16];
    if (!s_fmt(slug, sizeof(slug), "%d", r->t.tmdb_id))
        slug[0] = '\0';
    if (!s_fmt(key, sizeof(key), "%d", r->rating_key))
        key[0] = '\0';
    json_t *o = json_object();
    json_object_set_new(o, "downloadStatus", json_array());
    json_object_set_new(o, "downloadStatus4k", json_array());
    json_object_set_new(o, "id", json_integer(r->media_id));
    json_object_set_new(o, "mediaType",
                        json_string(r->t.is_tv ? "tv" : "movie"));
    json_object_set_new(o, "tmdbId", json_integer(r->t.tmdb_id));
    json_object_set_new(o, "tvdbId", s_int_or_null(r->t.tvdb_id, r->t.is_tv));
    json_object_set_new(o, "imdbId",
                        linked ? json_string(r->t.imdb) : json_null());
    json_object_set_new(o, "status", json_integer(r->media_status));
    json_object_set_new(o, "status4k", json_integer(r->media_status4k));
    json_object_set_new(o, "createdAt", s_iso(r->media_created_ms));
    json_object_set_new(o, "updatedAt", s_iso(r->media_updated_ms));
    json_object_set_new(o, "lastSeasonChange", s_iso(r->media_created_ms));
    json_object_set_new(o, "mediaAddedAt",
                        r->media_added_ms ? s_iso(r->media_added_ms)
                                          : json_null());
    json_object_set_new(o, "serviceId", s_int_or_null(0, linked));
    json_object_set_new(o, "serviceId4k", json_null());
    json_object_set_new(o, "externalServiceId",
                        s_int_or_null(r->external_id, linked));
    json_object_set_new(o, "externalServiceId4k", json_null());
    json_object_set_new(o, "externalServiceSlug",
                        linked ? json_string(slug) : json_null());
    json_object_set_new(o, "externalServiceSlug4k", json_null());
    json_object_set_new(o, "ratingKey",
                        linked ? json_string(key) : json_null());
    json_object_set_new(o, "ratingKey4k", json_null());
    if (with_seasons)
        json_object_set_new(o, "seasons", json_array());
    return o;
}

/* `full`: as in request lists (users with settings, media with seasons);
   otherwise as inside /movie and /tv mediaInfo.requests. */
static json_t *
s_request_json(const oversim_store_t *self, const s_req_t *r, bool full)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "status", json_integer(r->status));
    json_object_set_new(o, "createdAt", s_iso(r->created_ms));
    json_object_set_new(o, "updatedAt", s_iso(r->updated_ms));
    json_object_set_new(o, "type", json_string(r->t.is_tv ? "tv" : "movie"));
    json_object_set_new(o, "is4k", json_boolean(r->is4k));
    json_object_set_new(o, "serverId", json_null());
    json_object_set_new(o, "profileId", json_null());
    json_object_set_new(o, "rootFolder", json_null());
    json_object_set_new(o, "languageProfileId", json_null());
    json_object_set_new(o, "tags", json_null());
    json_object_set_new(o, "isAutoRequest", json_false());
    json_object_set_new(o, "requestedBy", s_user_json(self, r->user, full));
    json_object_set_new(o, "modifiedBy",
                        r->modified_by >= 0
                            ? s_user_json(self, r->modified_by, full)
                            : json_null());
    json_object_set_new(o, "media", s_media_json(r, full));
    json_t *seasons = json_array();
    for (int i = 0; i < r->n_seasons; i++) {
        json_t *s = json_object();
        json_object_set_new(s, "id", json_integer(r->season_ids[i]));
        json_object_set_new(s, "seasonNumber", json_integer(r->seasons[i]));
        json_object_set_new(s, "status", json_integer(r->status));
        json_object_set_new(s, "createdAt", s_iso(r->created_ms));
        json_object_set_new(s, "updatedAt", s_iso(r->updated_ms));
        json_array_append_new(seasons, s);
    }
    json_object_set_new(o, "seasons", seasons);
    json_object_set_new(o, "seasonCount", json_integer(r->n_seasons));
    return o;
}

static json_t *
s_genres_json(const s_title_t *t)
{
    const s_genre_t *table = t->is_tv ? s_tv_genres : s_movie_genres;
    json_t *a = json_array();
    for (int i = 0; i < t->n_genres; i++)
        json_array_append_new(a, json_pack("{s:i, s:s}", "id",
                                           table[t->genres[i]].id, "name",
                                           table[t->genres[i]].name));
    return a;
}

static json_t *
s_keywords_json(const s_title_t *t)
{
    json_t *a = json_array();
    for (int i = 0; i < t->n_keywords; i++)
        json_array_append_new(
            a, json_pack("{s:i, s:s}", "id", s_keywords[t->keywords[i]].id,
                         "name", s_keywords[t->keywords[i]].name));
    return a;
}

static json_t *
s_media_info_json(const oversim_store_t *self, const s_req_t *r)
{
    json_t *info = s_media_json(r, false);
    json_t *requests = json_array();
    json_array_append_new(requests, s_request_json(self, r, false));
    json_object_set_new(info, "requests", requests);
    json_object_set_new(info, "issues", json_array());
    json_object_set_new(info, "seasons", json_array());
    return info;
}

static json_t *
s_credits_json(void)
{
    return json_pack("{s:[], s:[]}", "cast", "crew");
}

static json_t *
s_movie_json(const oversim_store_t *self, const s_req_t *r)
{
    const s_title_t *t = &r->t;
    const s_lang_t *lang = &s_langs[t->lang];
    char date[16];
    s_date(t->release_ms, date, sizeof(date));
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(t->tmdb_id));
    json_object_set_new(o, "adult", json_false());
    json_object_set_new(o, "budget", json_integer(t->budget));
    json_object_set_new(o, "genres", s_genres_json(t));
    json_object_set_new(o, "relatedVideos", json_array());
    json_object_set_new(o, "originalLanguage", json_string(lang->code));
    json_object_set_new(o, "originalTitle", json_string(t->title));
    json_object_set_new(o, "popularity", json_real(t->popularity));
    json_object_set_new(o, "productionCompanies", json_array());
    json_object_set_new(o, "productionCountries",
                        json_pack("[{s:s, s:s}]", "iso_3166_1", lang->country,
                                  "name", lang->cname));
    json_object_set_new(o, "releaseDate", json_string(date));
    json_t *results = json_array();
    if (t->cert[0] || strcmp(t->status, "Released") == 0) {
        char stamp[32];
        json_t *dates = json_array();
        if (ps_time_format_iso(t->release_ms, stamp, sizeof(stamp)) == 0)
            json_array_append_new(
                dates,
                json_pack("{s:s, s:[], s:s, s:s, s:s, s:i}", "certification",
                          t->cert, "descriptors", "iso_639_1", "", "note", "",
                          "release_date", stamp, "type", 3));
        json_array_append_new(results, json_pack("{s:s, s:o}", "iso_3166_1",
                                                 "US", "release_dates", dates));
    }
    json_object_set_new(o, "releases", json_pack("{s:o}", "results", results));
    json_object_set_new(o, "revenue", json_integer(t->revenue));
    json_object_set_new(o, "spokenLanguages",
                        json_pack("[{s:s, s:s, s:s}]", "english_name",
                                  lang->english, "iso_639_1", lang->code,
                                  "name", lang->native));
    json_object_set_new(o, "status", json_string(t->status));
    json_object_set_new(o, "title", json_string(t->title));
    json_object_set_new(o, "video", json_false());
    json_object_set_new(o, "voteAverage", json_real(t->vote_average));
    json_object_set_new(o, "voteCount", json_integer(t->vote_count));
    json_object_set_new(o, "backdropPath", json_string(t->backdrop));
    json_object_set_new(o, "homepage", json_string(""));
    json_object_set_new(o, "imdbId", json_string(t->imdb));
    json_object_set_new(o, "overview", json_string(t->overview));
    json_object_set_new(o, "posterPath", json_string(t->poster));
    json_object_set_new(o, "runtime", json_integer(t->runtime));
    json_object_set_new(o, "tagline", json_string(""));
    json_object_set_new(o, "credits", s_credits_json());
    json_object_set_new(o, "externalIds",
                        json_pack("{s:n, s:s, s:n, s:n}", "facebookId",
                                  "imdbId", t->imdb, "instagramId",
                                  "twitterId"));
    json_object_set_new(o, "mediaInfo", s_media_info_json(self, r));
    json_object_set_new(o, "watchProviders", json_array());
    json_object_set_new(o, "keywords", s_keywords_json(t));
    return o;
}

static json_t *
s_tv_json(const oversim_store_t *self, const s_req_t *r, int64_t now_ms)
{
    const s_title_t *t = &r->t;
    const s_lang_t *lang = &s_langs[t->lang];
    const s_network_t *net = &s_networks[t->network];
    bool upcoming = t->release_ms > now_ms || t->vote_count == 0;
    int episodes = 0;
    for (int s = 1; s <= t->n_seasons; s++)
        episodes += t->episodes[s];
    int64_t last_air =
        s_season_air_ms(t, t->n_seasons)
        + (int64_t)(t->episodes[t->n_seasons] - 1) * 7 * S_DAY_MS;
    if (last_air > now_ms)
        last_air = now_ms - (now_ms % S_DAY_MS) - 3 * S_DAY_MS;
    const char *type = "Scripted";
    if (s_has_genre(t, 10764))
        type = "Reality";
    else if (s_has_genre(t, 99))
        type = "Documentary";
    else if (s_has_genre(t, 10767))
        type = "Talk Show";
    else if (s_has_genre(t, 10763))
        type = "News";

    json_t *o = json_object();
    json_object_set_new(o, "createdBy", json_array());
    json_t *run = json_array();
    if (t->runtime)
        json_array_append_new(run, json_integer(t->runtime));
    json_object_set_new(o, "episodeRunTime", run);
    json_object_set_new(o, "firstAirDate", s_date_json(t->release_ms));
    json_object_set_new(o, "genres", s_genres_json(t));
    json_object_set_new(o, "relatedVideos", json_array());
    json_object_set_new(o, "homepage", json_string(""));
    json_object_set_new(o, "id", json_integer(t->tmdb_id));
    json_object_set_new(
        o, "inProduction",
        json_boolean(upcoming || strcmp(t->status, "Returning Series") == 0));
    json_object_set_new(o, "languages", json_pack("[s]", lang->code));
    json_object_set_new(o, "lastAirDate",
                        upcoming ? json_null() : s_date_json(last_air));
    json_object_set_new(o, "name", json_string(t->title));
    json_object_set_new(o, "networks",
                        json_pack("[{s:i, s:s, s:s, s:n}]", "id", net->id,
                                  "name", net->name, "originCountry", net->cc,
                                  "logoPath"));
    json_object_set_new(o, "numberOfEpisodes", json_integer(episodes));
    json_object_set_new(o, "numberOfSeasons", json_integer(t->n_seasons));
    json_object_set_new(o, "originCountry", json_pack("[s]", lang->country));
    json_object_set_new(o, "originalLanguage", json_string(lang->code));
    json_object_set_new(o, "originalName", json_string(t->title));
    json_object_set_new(o, "tagline", json_string(""));
    json_object_set_new(o, "overview", json_string(t->overview));
    json_object_set_new(o, "popularity", json_real(t->popularity));
    json_object_set_new(o, "productionCompanies", json_array());
    json_object_set_new(o, "productionCountries",
                        json_pack("[{s:s, s:s}]", "iso_3166_1", lang->country,
                                  "name", lang->cname));
    json_t *ratings = json_array();
    if (t->cert[0])
        json_array_append_new(ratings,
                              json_pack("{s:[], s:s, s:s}", "descriptors",
                                        "iso_3166_1", "US", "rating", t->cert));
    json_object_set_new(o, "contentRatings",
                        json_pack("{s:o}", "results", ratings));
    json_object_set_new(o, "spokenLanguages",
                        json_pack("[{s:s, s:s, s:s}]", "englishName",
                                  lang->english, "iso_639_1", lang->code,
                                  "name", lang->native));
    json_t *seasons = json_array();
    for (int s = t->has_specials ? 0 : 1; s <= t->n_seasons; s++) {
        char name[32];
        if (!s_fmt(name, sizeof(name), "Season %d", s))
            name[0] = '\0';
        json_t *air = json_null();
        if (s > 0)
            air = s_date_json(s_season_air_ms(t, s));
        else if (t->specials_dated)
            air = s_date_json(t->release_ms - 120 * S_DAY_MS);
        char poster[40];
        uint64_t seed = (uint64_t)t->tmdb_id * 131 + (uint64_t)s;
        s_random_path(&seed, poster, sizeof(poster));
        json_t *item = json_object();
        json_object_set_new(item, "airDate", air);
        json_object_set_new(item, "episodeCount", json_integer(t->episodes[s]));
        json_object_set_new(item, "id", json_integer(t->season_tmdb_id + s));
        json_object_set_new(item, "name",
                            json_string(s == 0 ? "Specials" : name));
        json_object_set_new(item, "overview", json_string(""));
        json_object_set_new(item, "seasonNumber", json_integer(s));
        json_object_set_new(item, "posterPath", json_string(poster));
        json_array_append_new(seasons, item);
    }
    json_object_set_new(o, "seasons", seasons);
    json_object_set_new(o, "status", json_string(t->status));
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "voteAverage", json_real(t->vote_average));
    json_object_set_new(o, "voteCount", json_integer(t->vote_count));
    json_object_set_new(o, "backdropPath", json_string(t->backdrop));
    if (!upcoming) {
        char date[16];
        s_date(last_air, date, sizeof(date));
        json_object_set_new(
            o, "lastEpisodeToAir",
            json_pack("{s:i, s:s, s:i, s:s, s:s, s:s, s:i, s:i, s:f, s:n}",
                      "id", t->tmdb_id * 7 + 1000000, "airDate", date,
                      "episodeNumber", t->episodes[t->n_seasons], "name",
                      "Finale", "overview", "", "productionCode", "",
                      "seasonNumber", t->n_seasons, "showId", t->tmdb_id,
                      "voteAverage", t->vote_average, "stillPath"));
    }
    json_object_set_new(o, "posterPath", json_string(t->poster));
    json_object_set_new(o, "credits", s_credits_json());
    json_object_set_new(
        o, "externalIds",
        json_pack("{s:s, s:i}", "imdbId", t->imdb, "tvdbId", t->tvdb_id));
    json_object_set_new(o, "keywords", s_keywords_json(t));
    json_object_set_new(o, "mediaInfo", s_media_info_json(self, r));
    json_object_set_new(o, "watchProviders", json_array());
    return o;
}

static const char *
s_media_status_name(int status)
{
    switch (status) {
        case 2:
            return "PENDING";
        case 3:
            return "PROCESSING";
        case 4:
            return "PARTIALLY_AVAILABLE";
        case 5:
            return "AVAILABLE";
        default:
            return "UNKNOWN";
    }
}

/* Cuts text to 500 characters (code points) and adds an ellipsis, as
   Overseerr's webhook agent does with the overview. */
static void
s_cut_500(const char *text, char *out, size_t len)
{
    size_t i = 0;
    int chars = 0;
    while (text[i] && chars < 500) {
        i++;
        while (((unsigned char)text[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    bool cut = text[i] != '\0';
    if (!s_fmt(out, len, "%.*s%s", (int)i, text, cut ? "\xe2\x80\xa6" : ""))
        out[0] = '\0';
}

static json_t *
s_webhook_json(const oversim_store_t *self, const s_req_t *r, const char *type)
{
    const char *kind = r->t.is_tv ? "Series" : "Movie";
    const char *k4 = r->is4k ? "4K " : "";
    char event[64];
    bool ok = true;
    if (strcmp(type, "MEDIA_PENDING") == 0)
        ok = s_fmt(event, sizeof(event), "New %s%s Request", k4, kind);
    else if (strcmp(type, "MEDIA_APPROVED") == 0)
        ok = s_fmt(event, sizeof(event), "%s%s Request Approved", k4, kind);
    else if (strcmp(type, "MEDIA_DECLINED") == 0)
        ok = s_fmt(event, sizeof(event), "%s%s Request Declined", k4, kind);
    else if (strcmp(type, "MEDIA_FAILED") == 0)
        ok = s_fmt(event, sizeof(event), "%s%s Request Failed", k4, kind);
    else if (strcmp(type, "MEDIA_AVAILABLE") == 0)
        ok =
            s_fmt(event, sizeof(event), "%s%s Request Now Available", k4, kind);
    else
        event[0] = '\0';
    if (!ok)
        event[0] = '\0';
    char date[16];
    char subject[S_MAX_TITLE + 16];
    char message[1600];
    char image[128];
    char tmdb[16];
    char tvdb[16];
    char request_id[16];
    s_date(r->t.release_ms, date, sizeof(date));
    if (!s_fmt(subject, sizeof(subject), "%s (%.4s)", r->t.title, date))
        subject[0] = '\0';
    s_cut_500(r->t.overview, message, sizeof(message));
    if (!s_fmt(image, sizeof(image), "%s%s", S_IMAGE_BASE, r->t.poster))
        image[0] = '\0';
    if (!s_fmt(tmdb, sizeof(tmdb), "%d", r->t.tmdb_id))
        tmdb[0] = '\0';
    tvdb[0] = '\0';
    if (r->t.is_tv && !s_fmt(tvdb, sizeof(tvdb), "%d", r->t.tvdb_id))
        tvdb[0] = '\0';
    if (!s_fmt(request_id, sizeof(request_id), "%d", r->id))
        request_id[0] = '\0';
    const s_user_t *u = &self->users[r->user];

    json_t *media = json_object();
    json_object_set_new(media, "media_type",
                        json_string(r->t.is_tv ? "tv" : "movie"));
    json_object_set_new(media, "tmdbId", json_string(tmdb));
    json_object_set_new(media, "tvdbId", json_string(tvdb));
    json_object_set_new(media, "status",
                        json_string(s_media_status_name(r->media_status)));
    json_object_set_new(media, "status4k",
                        json_string(s_media_status_name(r->media_status4k)));
    json_t *request = json_object();
    json_object_set_new(request, "request_id", json_string(request_id));
    json_object_set_new(request, "requestedBy_email", json_string(u->email));
    json_object_set_new(request, "requestedBy_username",
                        json_string(s_display_name(u)));
    json_object_set_new(request, "requestedBy_avatar", json_string(u->avatar));
    json_object_set_new(request, "requestedBy_settings_discordId",
                        json_string(u->discord_id));
    json_object_set_new(request, "requestedBy_settings_telegramChatId",
                        json_string(""));
    json_t *extra = json_array();
    if (r->t.is_tv) {
        char seasons[S_MAX_SEASONS * 5];
        size_t used = 0;
        seasons[0] = '\0';
        for (int i = 0; i < r->n_seasons; i++) {
            int n = snprintf(seasons + used, sizeof(seasons) - used, "%s%d",
                             i ? ", " : "", r->seasons[i]);
            if (n < 0 || (size_t)n >= sizeof(seasons) - used)
                break;
            used += (size_t)n;
        }
        json_array_append_new(extra,
                              json_pack("{s:s, s:s}", "name",
                                        "Requested Seasons", "value", seasons));
    }
    json_t *o = json_object();
    json_object_set_new(o, "notification_type", json_string(type));
    json_object_set_new(o, "event", json_string(event));
    json_object_set_new(o, "subject", json_string(subject));
    json_object_set_new(o, "message", json_string(message));
    json_object_set_new(o, "image", json_string(image));
    json_object_set_new(o, "media", media);
    json_object_set_new(o, "request", request);
    json_object_set_new(o, "issue", json_null());
    json_object_set_new(o, "comment", json_null());
    json_object_set_new(o, "extra", extra);
    return o;
}

/* ------------------------------------------------------------------ */
/* Queries and actions                                                 */

static s_req_t *
s_find(const oversim_store_t *self, int64_t id)
{
    /* Ids are ascending and dense from S_FIRST_REQUEST_ID. */
    int64_t index = id - S_FIRST_REQUEST_ID;
    if (index >= 0 && (size_t)index < self->n_reqs
        && self->reqs[index]->id == id)
        return self->reqs[index];
    for (size_t i = 0; i < self->n_reqs; i++)
        if (self->reqs[i]->id == id)
            return self->reqs[i];
    return NULL;
}

static s_req_t *
s_find_tmdb(const oversim_store_t *self, int64_t tmdb_id, bool is_tv)
{
    for (size_t i = 0; i < self->n_reqs; i++)
        if (self->reqs[i]->t.tmdb_id == tmdb_id
            && self->reqs[i]->t.is_tv == is_tv)
            return self->reqs[i];
    return NULL;
}

static int
s_relevant_status(const s_req_t *r)
{
    return r->is4k ? r->media_status4k : r->media_status;
}

static void
s_set_relevant_status(s_req_t *r, int status)
{
    if (r->is4k)
        r->media_status4k = status;
    else
        r->media_status = status;
}

/* Applies a decision (status 1..4) taken by user index `by`. */
static void
s_apply(s_req_t *r, int status, int by, int64_t now_ms)
{
    int media = s_relevant_status(r);
    if (status == 2 && media != 4 && media != 5)
        s_set_relevant_status(r, 3);
    else if (status == 3)
        s_set_relevant_status(r, 1);
    else if (status == 1)
        s_set_relevant_status(r, 2);
    r->status = status;
    r->modified_by = status == 1 ? -1 : by;
    r->updated_ms = now_ms;
    r->media_updated_ms = now_ms;
}

static const char *s_filters[] = {"all",     "approved",   "available",
                                  "pending", "processing", "unavailable",
                                  "failed"};

static bool
s_matches(const s_req_t *r, const char *filter)
{
    int m = s_relevant_status(r);
    if (strcmp(filter, "pending") == 0)
        return r->status == 1;
    if (strcmp(filter, "approved") == 0)
        return r->status == 2;
    if (strcmp(filter, "processing") == 0)
        return r->status == 2 && m >= 1 && m <= 4;
    if (strcmp(filter, "available") == 0)
        return r->status == 2 && m == 5;
    if (strcmp(filter, "unavailable") == 0)
        return (r->status == 1 || r->status == 2) && m >= 1 && m <= 4;
    if (strcmp(filter, "failed") == 0)
        return r->status == 4;
    return r->status >= 1 && r->status <= 4;
}

static int
s_cmp_modified(const void *a, const void *b)
{
    const s_req_t *ra = *(s_req_t *const *)a;
    const s_req_t *rb = *(s_req_t *const *)b;
    if (ra->updated_ms != rb->updated_ms)
        return ra->updated_ms < rb->updated_ms ? 1 : -1;
    return rb->id - ra->id;
}

/* Reads an optional non-negative integer query parameter. Returns 0 (the
   default stays when absent), or -1 after setting *response to a 400. */
static int
s_query_int(const char *query, const char *name, int64_t min, int64_t *value,
            json_t **response)
{
    char buf[32];
    int found = s_query_get(query, name, buf, sizeof(buf));
    if (found == 0)
        return 0;
    char where[64];
    if (!s_fmt(where, sizeof(where), "query/%s", name))
        where[0] = '\0';
    if (found < 0 || ps_parse_int64(buf, min, INT32_MAX, value) != 0) {
        *response =
            s_validation(where, min > 0 ? "must be >= 1" : "must be number",
                         "type.openapi.validation");
        return -1;
    }
    return 0;
}

static json_t *
s_page(json_t *results, int64_t total, int64_t take, int64_t skip)
{
    int64_t pages = (total + take - 1) / take;
    int64_t page = (skip + take - 1) / take + 1;
    json_t *info = json_object();
    json_object_set_new(info, "pages", json_integer(pages));
    json_object_set_new(info, "pageSize", json_integer(take));
    json_object_set_new(info, "results", json_integer(total));
    json_object_set_new(info, "page", json_integer(page));
    json_t *o = json_object();
    json_object_set_new(o, "pageInfo", info);
    json_object_set_new(o, "results", results);
    return o;
}

static int
s_list_requests(oversim_store_t *self, const char *query, json_t **response)
{
    int64_t take = 10;
    int64_t skip = 0;
    int64_t requested_by = 0;
    char filter[32] = "all";
    char sort[32] = "added";
    if (s_query_int(query, "take", 1, &take, response) != 0
        || s_query_int(query, "skip", 0, &skip, response) != 0
        || s_query_int(query, "requestedBy", 1, &requested_by, response) != 0)
        return 400;
    int found = s_query_get(query, "filter", filter, sizeof(filter));
    bool known = false;
    for (int i = 0; found >= 0 && i < S_COUNT(s_filters); i++)
        known = known || strcmp(filter, s_filters[i]) == 0;
    if (!known) {
        *response = s_validation(
            "query/filter",
            "must be equal to one of the allowed values: all, approved, "
            "available, pending, processing, unavailable, failed",
            "enum.openapi.validation");
        return 400;
    }
    found = s_query_get(query, "sort", sort, sizeof(sort));
    if (found < 0
        || (strcmp(sort, "added") != 0 && strcmp(sort, "modified") != 0)) {
        *response =
            s_validation("query/sort",
                         "must be equal to one of the allowed values: added, "
                         "modified",
                         "enum.openapi.validation");
        return 400;
    }
    s_req_t **matched = calloc(self->n_reqs + 1, sizeof(*matched));
    if (!matched) {
        *response = s_message("Unable to retrieve requests.");
        return 500;
    }
    size_t n = 0;
    /* Newest first: the array is in ascending id order. */
    for (size_t i = self->n_reqs; i-- > 0;) {
        s_req_t *r = self->reqs[i];
        if (s_matches(r, filter)
            && (requested_by == 0 || self->users[r->user].id == requested_by))
            matched[n++] = r;
    }
    if (strcmp(sort, "modified") == 0)
        qsort(matched, n, sizeof(*matched), s_cmp_modified);
    json_t *results = json_array();
    for (size_t i = (size_t)skip; i < n && i < (size_t)(skip + take); i++)
        json_array_append_new(results, s_request_json(self, matched[i], true));
    free(matched);
    *response = s_page(results, (int64_t)n, take, skip);
    return 200;
}

static json_t *
s_counts_json(const oversim_store_t *self)
{
    int movie = 0, tv = 0, pending = 0, approved = 0, declined = 0;
    int processing = 0, available = 0;
    for (size_t i = 0; i < self->n_reqs; i++) {
        const s_req_t *r = self->reqs[i];
        int m = s_relevant_status(r);
        if (r->t.is_tv)
            tv++;
        else
            movie++;
        if (r->status == 1)
            pending++;
        else if (r->status == 2) {
            approved++;
            if (m == 5)
                available++;
            else
                processing++;
        } else if (r->status == 3)
            declined++;
    }
    json_t *o = json_object();
    json_object_set_new(o, "total", json_integer((json_int_t)self->n_reqs));
    json_object_set_new(o, "movie", json_integer(movie));
    json_object_set_new(o, "tv", json_integer(tv));
    json_object_set_new(o, "pending", json_integer(pending));
    json_object_set_new(o, "approved", json_integer(approved));
    json_object_set_new(o, "declined", json_integer(declined));
    json_object_set_new(o, "processing", json_integer(processing));
    json_object_set_new(o, "available", json_integer(available));
    return o;
}

static int
s_decide_api(oversim_store_t *self, s_req_t *r, const char *word,
             int64_t now_ms, json_t **response, json_t *webhooks)
{
    bool approve = strcmp(word, "approve") == 0;
    bool decline = strcmp(word, "decline") == 0;
    if (!approve && !decline) {
        *response =
            self->seerr
                ? s_message("Status must be approve or decline.")
                : s_validation("params/status",
                               "must be equal to one of the allowed values: "
                               "approve, decline",
                               "enum.openapi.validation");
        return 400;
    }
    if (approve) {
        r->approve_calls++;
        self->approve_calls++;
    } else {
        r->decline_calls++;
        self->decline_calls++;
    }
    if (self->seerr && r->status != 1) {
        *response =
            s_message("Only pending requests can be approved or declined.");
        return 409;
    }
    s_apply(r, approve ? 2 : 3, 0, now_ms);
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    r->decided_us = (int64_t)wall.tv_sec * 1000000 + wall.tv_nsec / 1000;
    *response = s_request_json(self, r, true);
    if (webhooks)
        json_array_append_new(
            webhooks,
            s_webhook_json(self, r,
                           approve ? "MEDIA_APPROVED" : "MEDIA_DECLINED"));
    return 200;
}

static int
s_quota_json(const oversim_store_t *self, int user, int64_t now_ms,
             json_t **response)
{
    const s_user_t *u = &self->users[user];
    json_t *o = json_object();
    for (int tv = 0; tv <= 1; tv++) {
        int limit = tv ? u->tv_quota_limit : u->movie_quota_limit;
        int days = tv ? u->tv_quota_days : u->movie_quota_days;
        if (limit < 0)
            limit = 0;
        if (days < 0)
            days = S_QUOTA_DAYS;
        if (u->permissions & (S_PERM_ADMIN | S_PERM_MANAGE_USERS))
            limit = 0;
        int used = 0;
        int64_t since = now_ms - (int64_t)days * S_DAY_MS;
        for (size_t i = 0; i < self->n_reqs; i++) {
            const s_req_t *r = self->reqs[i];
            if (r->user != user || r->t.is_tv != (tv == 1) || r->status == 3
                || r->created_ms < since)
                continue;
            used += tv ? r->n_seasons : 1;
        }
        json_t *q = json_object();
        json_object_set_new(q, "days", json_integer(days));
        json_object_set_new(q, "limit", json_integer(limit));
        json_object_set_new(q, "used", json_integer(used));
        if (limit > 0)
            json_object_set_new(q, "remaining",
                                json_integer(used >= limit ? 0 : limit - used));
        json_object_set_new(q, "restricted",
                            json_boolean(limit > 0 && used >= limit));
        json_object_set_new(o, tv ? "tv" : "movie", q);
    }
    *response = o;
    return 200;
}

static int
s_user_requests(oversim_store_t *self, int user, const char *query,
                json_t **response)
{
    int64_t take = 20;
    int64_t skip = 0;
    if (s_query_int(query, "take", 1, &take, response) != 0
        || s_query_int(query, "skip", 0, &skip, response) != 0)
        return 400;
    json_t *results = json_array();
    int64_t total = 0;
    for (size_t i = self->n_reqs; i-- > 0;) {
        if (self->reqs[i]->user != user)
            continue;
        if (total >= skip && total < skip + take)
            json_array_append_new(results,
                                  s_request_json(self, self->reqs[i], true));
        total++;
    }
    *response = s_page(results, total, take, skip);
    return 200;
}

typedef struct {
    const oversim_store_t *store; /* for request counts */
    int index;                    /* user index */
    int requests;                 /* request count */
} s_user_row_t;

static int
s_cmp_user_updated(const void *a, const void *b)
{
    const s_user_row_t *ua = a;
    const s_user_row_t *ub = b;
    int64_t ta = ua->store->users[ua->index].updated_ms;
    int64_t tb = ub->store->users[ub->index].updated_ms;
    return ta == tb ? ua->index - ub->index : ta < tb ? 1 : -1;
}

static int
s_cmp_user_requests(const void *a, const void *b)
{
    const s_user_row_t *ua = a;
    const s_user_row_t *ub = b;
    if (ua->requests != ub->requests)
        return ub->requests - ua->requests;
    return ua->index - ub->index;
}

static int
s_cmp_user_name(const void *a, const void *b)
{
    const s_user_row_t *ua = a;
    const s_user_row_t *ub = b;
    int c = strcasecmp(s_display_name(&ua->store->users[ua->index]),
                       s_display_name(&ub->store->users[ub->index]));
    return c ? c : ua->index - ub->index;
}

static int
s_list_users(oversim_store_t *self, const char *query, json_t **response)
{
    int64_t take = 10;
    int64_t skip = 0;
    char sort[32] = "created";
    if (s_query_int(query, "take", 1, &take, response) != 0
        || s_query_int(query, "skip", 0, &skip, response) != 0)
        return 400;
    int found = s_query_get(query, "sort", sort, sizeof(sort));
    s_user_row_t rows[S_MAX_USERS];
    for (int i = 0; i < self->n_users; i++) {
        rows[i].store = self;
        rows[i].index = i;
        rows[i].requests = s_request_count(self, i);
    }
    if (found >= 0 && strcmp(sort, "updated") == 0)
        qsort(rows, (size_t)self->n_users, sizeof(rows[0]), s_cmp_user_updated);
    else if (found >= 0 && strcmp(sort, "requests") == 0)
        qsort(rows, (size_t)self->n_users, sizeof(rows[0]),
              s_cmp_user_requests);
    else if (found >= 0 && strcmp(sort, "displayname") == 0)
        qsort(rows, (size_t)self->n_users, sizeof(rows[0]), s_cmp_user_name);
    else if (found < 0 || strcmp(sort, "created") != 0) {
        *response = s_validation(
            "query/sort",
            "must be equal to one of the allowed values: created, updated, "
            "requests, displayname",
            "enum.openapi.validation");
        return 400;
    }
    json_t *results = json_array();
    for (int64_t i = skip; i < self->n_users && i < skip + take; i++)
        json_array_append_new(results, s_user_json(self, rows[i].index, true));
    *response = s_page(results, self->n_users, take, skip);
    return 200;
}

/* Splits "/a/b/c" into at most `max` segments (pointers into `buf`). */
static int
s_split(const char *path, char *buf, size_t len, char **segs, int max)
{
    if (!s_fmt(buf, len, "%s", path))
        return -1;
    int n = 0;
    char *p = buf;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        if (n == max)
            return -1;
        segs[n++] = p;
        while (*p && *p != '/')
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

static int
s_not_found(const char *path, json_t **response)
{
    char full[512];
    if (!s_fmt(full, sizeof(full), "/api/v1%s", path))
        full[0] = '\0';
    *response = json_pack("{s:s, s:[{s:s, s:s}]}", "message", "not found",
                          "errors", "path", full, "message", "not found");
    return 404;
}

/* Parses a numeric path id; Overseerr's validator answers 400 otherwise. */
static int
s_path_id(const char *seg, const char *name, int64_t *id, json_t **response)
{
    if (ps_parse_int64(seg, 0, INT32_MAX, id) == 0)
        return 0;
    char where[64];
    if (!s_fmt(where, sizeof(where), "params/%s", name))
        where[0] = '\0';
    *response =
        s_validation(where, "must be number", "type.openapi.validation");
    return -1;
}

static int
s_api_locked(oversim_store_t *self, const char *method, const char *path,
             const char *query, int64_t now_ms, json_t **response,
             json_t *webhooks)
{
    char buf[512];
    char *seg[4] = {NULL, NULL, NULL, NULL};
    int n = s_split(path, buf, sizeof(buf), seg, 4);
    bool get = strcmp(method, "GET") == 0;
    bool post = strcmp(method, "POST") == 0;
    int64_t id = 0;
    if (n < 1)
        return s_not_found(path, response);

    if (get && n == 1 && strcmp(seg[0], "status") == 0) {
        *response = json_pack("{s:s, s:s, s:b, s:i, s:b}", "version", "1.33.2",
                              "commitTag", "sim", "updateAvailable", 0,
                              "commitsBehind", 0, "restartRequired", 0);
        return 200;
    }
    if (get && n == 2 && strcmp(seg[0], "auth") == 0
        && strcmp(seg[1], "me") == 0) {
        *response = s_user_json(self, 0, true);
        return 200;
    }
    if (strcmp(seg[0], "request") == 0) {
        if (get && n == 1)
            return s_list_requests(self, query, response);
        if (get && n == 2 && strcmp(seg[1], "count") == 0) {
            *response = s_counts_json(self);
            return 200;
        }
        if (n >= 2 && n <= 3 && (n == 2 ? get : post)) {
            if (s_path_id(seg[1], "requestId", &id, response) != 0)
                return 400;
            s_req_t *r = s_find(self, id);
            if (!r) {
                *response = s_message("Request not found.");
                return 404;
            }
            if (n == 2) {
                *response = s_request_json(self, r, true);
                return 200;
            }
            return s_decide_api(self, r, seg[2], now_ms, response, webhooks);
        }
    }
    if (get && n == 2
        && (strcmp(seg[0], "movie") == 0 || strcmp(seg[0], "tv") == 0)) {
        bool tv = seg[0][0] == 't';
        if (s_path_id(seg[1], tv ? "tvId" : "movieId", &id, response) != 0)
            return 400;
        s_req_t *r = s_find_tmdb(self, id, tv);
        if (!r) {
            *response = s_message(tv ? "Unable to retrieve series."
                                     : "Unable to retrieve movie.");
            return 500;
        }
        *response = tv ? s_tv_json(self, r, now_ms) : s_movie_json(self, r);
        return 200;
    }
    if (get && strcmp(seg[0], "user") == 0) {
        if (n == 1)
            return s_list_users(self, query, response);
        if (s_path_id(seg[1], "userId", &id, response) != 0)
            return 400;
        if (id < 1 || id > self->n_users) {
            *response = s_message("User not found.");
            return 404;
        }
        int index = (int)id - 1;
        if (n == 2) {
            *response = s_user_json(self, index, true);
            return 200;
        }
        if (n == 3 && strcmp(seg[2], "quota") == 0)
            return s_quota_json(self, index, now_ms, response);
        if (n == 3 && strcmp(seg[2], "requests") == 0)
            return s_user_requests(self, index, query, response);
    }
    return s_not_found(path, response);
}

int
oversim_store_api(oversim_store_t *self, const char *method, const char *path,
                  const char *query, int64_t now_ms, json_t **response,
                  json_t *webhooks)
{
    *response = NULL;
    pthread_mutex_lock(&self->lock);
    int status =
        s_api_locked(self, method, path, query, now_ms, response, webhooks);
    pthread_mutex_unlock(&self->lock);
    if (!*response) {
        *response = s_message("Internal server error.");
        status = 500;
    }
    return status;
}

/* ------------------------------------------------------------------ */
/* Control routes                                                      */

static json_t *
s_state_json(const oversim_store_t *self)
{
    int pending = 0, approved = 0, declined = 0, failed = 0;
    json_t *list = json_array();
    for (size_t i = 0; i < self->n_reqs; i++) {
        const s_req_t *r = self->reqs[i];
        pending += r->status == 1;
        approved += r->status == 2;
        declined += r->status == 3;
        failed += r->status == 4;
        json_t *item = json_object();
        json_object_set_new(item, "id", json_integer(r->id));
        json_object_set_new(item, "status", json_integer(r->status));
        json_object_set_new(item, "approve_calls",
                            json_integer(r->approve_calls));
        json_object_set_new(item, "decline_calls",
                            json_integer(r->decline_calls));
        json_object_set_new(item, "decided_us",
                            r->decided_us ? json_integer(r->decided_us)
                                          : json_null());
        json_object_set_new(item, "title", json_string(r->t.title));
        json_object_set_new(item, "type",
                            json_string(r->t.is_tv ? "tv" : "movie"));
        json_object_set_new(item, "tmdbId", json_integer(r->t.tmdb_id));
        json_object_set_new(item, "is4k", json_boolean(r->is4k));
        json_object_set_new(item, "userId",
                            json_integer(self->users[r->user].id));
        json_array_append_new(list, item);
    }
    json_t *totals = json_object();
    json_object_set_new(totals, "pending", json_integer(pending));
    json_object_set_new(totals, "approved", json_integer(approved));
    json_object_set_new(totals, "declined", json_integer(declined));
    json_object_set_new(totals, "failed", json_integer(failed));
    json_object_set_new(totals, "approve_calls",
                        json_integer(self->approve_calls));
    json_object_set_new(totals, "decline_calls",
                        json_integer(self->decline_calls));
    json_object_set_new(totals, "requests",
                        json_integer((json_int_t)self->n_reqs));
    json_t *o = json_object();
    json_object_set_new(o, "totals", totals);
    json_object_set_new(o, "requests", list);
    return o;
}

static int
s_add_random_locked(oversim_store_t *self, int count, int64_t now_ms,
                    json_t *ids, json_t *webhooks)
{
    for (int i = 0; i < count; i++) {
        s_req_t *r = s_create(self, NULL, 0, -1, -1, now_ms);
        if (!r)
            return -1;
        if (ids)
            json_array_append_new(ids, json_integer(r->id));
        if (webhooks)
            json_array_append_new(webhooks,
                                  s_webhook_json(self, r, "MEDIA_PENDING"));
    }
    return 0;
}

static bool
s_title_ok(const char *title)
{
    size_t len = strlen(title);
    return len > 0 && len < S_MAX_TITLE;
}

static int
s_control_add(oversim_store_t *self, json_t *body, int64_t now_ms,
              json_t **response, json_t *webhooks)
{
    json_t *ids = json_array();
    json_t *count = json_object_get(body, "count");
    json_t *title = json_object_get(body, "title");
    if (json_is_string(title)) {
        const char *type = json_string_value(json_object_get(body, "type"));
        json_t *user = json_object_get(body, "userId");
        int user_index = -1;
        if (json_is_integer(user)) {
            json_int_t uid = json_integer_value(user);
            if (uid < 1 || uid > self->n_users) {
                json_decref(ids);
                *response = s_message("userId: unknown user.");
                return 400;
            }
            user_index = (int)uid - 1;
        }
        if (!s_title_ok(json_string_value(title))
            || (type && strcmp(type, "movie") != 0
                && strcmp(type, "tv") != 0)) {
            json_decref(ids);
            *response = s_message("title must be 1..255 bytes and type movie "
                                  "or tv.");
            return 400;
        }
        int is4k = json_is_boolean(json_object_get(body, "is4k"))
                       ? json_is_true(json_object_get(body, "is4k"))
                       : 0;
        int kind = type && strcmp(type, "tv") == 0 ? 2 : 1;
        s_req_t *r = s_create(self, json_string_value(title), kind, is4k,
                              user_index, now_ms);
        if (!r) {
            json_decref(ids);
            *response = s_message("Out of memory.");
            return 500;
        }
        json_array_append_new(ids, json_integer(r->id));
        if (webhooks)
            json_array_append_new(webhooks,
                                  s_webhook_json(self, r, "MEDIA_PENDING"));
    } else {
        json_int_t n = json_is_integer(count) ? json_integer_value(count) : 1;
        if (count && !json_is_integer(count)) {
            json_decref(ids);
            *response = s_message("count must be an integer.");
            return 400;
        }
        if (n < 1 || n > S_MAX_ADD) {
            json_decref(ids);
            *response = s_message("count must be 1..10000.");
            return 400;
        }
        if (s_add_random_locked(self, (int)n, now_ms, ids, webhooks) != 0) {
            json_decref(ids);
            *response = s_message("Out of memory.");
            return 500;
        }
    }
    *response = json_pack("{s:o}", "ids", ids);
    return 200;
}

static int
s_control_status(oversim_store_t *self, const char *seg_id, json_t *body,
                 int64_t now_ms, json_t **response, json_t *webhooks)
{
    int64_t id = 0;
    json_t *status = json_object_get(body, "status");
    if (ps_parse_int64(seg_id, 0, INT32_MAX, &id) != 0) {
        *response = s_message("id must be a number.");
        return 400;
    }
    s_req_t *r = s_find(self, id);
    if (!r) {
        *response = s_message("Request not found.");
        return 404;
    }
    if (!json_is_integer(status) || json_integer_value(status) < 1
        || json_integer_value(status) > 4) {
        *response = s_message("status must be 1, 2, 3 or 4.");
        return 400;
    }
    int value = (int)json_integer_value(status);
    s_apply(r, value, 0, now_ms);
    if (webhooks && json_is_true(json_object_get(body, "webhook"))) {
        static const char *types[] = {"", "MEDIA_PENDING", "MEDIA_APPROVED",
                                      "MEDIA_DECLINED", "MEDIA_FAILED"};
        json_array_append_new(webhooks, s_webhook_json(self, r, types[value]));
    }
    *response = s_request_json(self, r, true);
    return 200;
}

int
oversim_store_control(oversim_store_t *self, const char *method,
                      const char *path, const char *body, size_t body_len,
                      int64_t now_ms, json_t **response, json_t *webhooks)
{
    char buf[256];
    char *seg[4] = {NULL, NULL, NULL, NULL};
    int n = s_split(path, buf, sizeof(buf), seg, 4);
    bool get = strcmp(method, "GET") == 0;
    bool post = strcmp(method, "POST") == 0;
    *response = NULL;
    if (get && n == 1 && strcmp(seg[0], "state") == 0) {
        pthread_mutex_lock(&self->lock);
        *response = s_state_json(self);
        pthread_mutex_unlock(&self->lock);
        return 200;
    }
    if (!post || n < 1 || strcmp(seg[0], "requests") != 0
        || (n != 1 && !(n == 3 && strcmp(seg[2], "status") == 0))) {
        *response = s_message("Unknown control route.");
        return 404;
    }
    json_error_t error;
    json_t *doc =
        body_len ? json_loadb(body, body_len, 0, &error) : json_object();
    if (!json_is_object(doc)) {
        json_decref(doc);
        *response = s_message("Body must be a JSON object.");
        return 400;
    }
    pthread_mutex_lock(&self->lock);
    int status = n == 1 ? s_control_add(self, doc, now_ms, response, webhooks)
                        : s_control_status(self, seg[1], doc, now_ms, response,
                                           webhooks);
    pthread_mutex_unlock(&self->lock);
    json_decref(doc);
    return status;
}

int
oversim_store_add_random(oversim_store_t *self, int count, int64_t now_ms,
                         json_t *ids, json_t *webhooks)
{
    pthread_mutex_lock(&self->lock);
    int rc = s_add_random_locked(self, count, now_ms, ids, webhooks);
    pthread_mutex_unlock(&self->lock);
    return rc;
}

int
oversim_store_count(oversim_store_t *self, int status)
{
    int n = 0;
    pthread_mutex_lock(&self->lock);
    for (size_t i = 0; i < self->n_reqs; i++)
        if (status == 0 || self->reqs[i]->status == status)
            n++;
    pthread_mutex_unlock(&self->lock);
    return n;
}

bool
oversim_store_has_poster(oversim_store_t *self, const char *path)
{
    bool found = false;
    pthread_mutex_lock(&self->lock);
    for (size_t i = 0; i < self->n_reqs && !found; i++)
        found = strcmp(self->reqs[i]->t.poster, path) == 0;
    pthread_mutex_unlock(&self->lock);
    return found;
}

json_t *
oversim_store_webhook(oversim_store_t *self, int id, const char *type)
{
    pthread_mutex_lock(&self->lock);
    s_req_t *r = s_find(self, id);
    json_t *o = r ? s_webhook_json(self, r, type) : NULL;
    pthread_mutex_unlock(&self->lock);
    return o;
}
