/* Generate random and time-based UUIDs, unparse and parse them back, and parse a known UUID and check its
 * fields (type, variant, time) and its canonical text form. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

int main(void) {
    /* A version-1 (time-based) UUID from 1998-08-09 15:53:34 UTC, 902678014 seconds after the epoch. */
    static const char known[] = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
    uuid_t a, b, parsed;
    char text[UUID_STR_LEN], upper[UUID_STR_LEN];
    struct timeval tv;
    time_t t;

    uuid_generate_random(a);
    uuid_generate_random(b);
    if (uuid_is_null(a) || uuid_compare(a, b) == 0) {
        fprintf(stderr, "random uuids are null or equal\n");
        return 1;
    }
    if (uuid_type(a) != UUID_TYPE_DCE_RANDOM || uuid_variant(a) != UUID_VARIANT_DCE) {
        fprintf(stderr, "random uuid: type %d variant %d\n", uuid_type(a), uuid_variant(a));
        return 1;
    }
    uuid_unparse_lower(a, text);
    if (strlen(text) != 36 || text[8] != '-' || text[14] != '4' || uuid_parse(text, parsed) != 0 ||
        uuid_compare(a, parsed) != 0) {
        fprintf(stderr, "random uuid round trip failed: %s\n", text);
        return 1;
    }

    uuid_generate_time(b);
    if (uuid_type(b) != UUID_TYPE_DCE_TIME) {
        fprintf(stderr, "time uuid: type %d\n", uuid_type(b));
        return 1;
    }
    t = uuid_time(b, &tv);
    if (t < 1600000000 || t > time(NULL) + 5) {
        fprintf(stderr, "time uuid has time %ld\n", (long)t);
        return 1;
    }

    uuid_generate(a);
    if (uuid_is_null(a)) return 1;

    if (uuid_parse(known, parsed) != 0) {
        fprintf(stderr, "cannot parse %s\n", known);
        return 1;
    }
    uuid_unparse_upper(parsed, upper);
    uuid_unparse(parsed, text);
    if (strcmp(upper, "1B4E28BA-2FA1-11D2-883F-0016D3CCA427") != 0 || strcmp(text, known) != 0 ||
        uuid_type(parsed) != UUID_TYPE_DCE_TIME || uuid_variant(parsed) != UUID_VARIANT_DCE ||
        uuid_time(parsed, &tv) != 902678014) {
        fprintf(stderr, "known uuid: %s type %d time %ld\n", upper, uuid_type(parsed), (long)uuid_time(parsed, &tv));
        return 1;
    }
    if (uuid_parse("not-a-uuid", parsed) == 0 || uuid_parse("1b4e28ba-2fa1-11d2-883f-0016d3cca42", parsed) == 0) {
        fprintf(stderr, "invalid text accepted\n");
        return 1;
    }
    uuid_clear(a);
    if (!uuid_is_null(a)) return 1;
    printf("libuuid: random, time and parsed uuids OK (%s)\n", text);
    return 0;
}
