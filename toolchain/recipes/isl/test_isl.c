/* Integer sets through libisl: count the points of a triangle, check a subset relation and an intersection. */
#include <stdio.h>
#include <string.h>
#include <isl/ctx.h>
#include <isl/set.h>
#include <isl/val.h>
#include <isl/version.h>

int main(void) {
    isl_ctx *ctx = isl_ctx_alloc();
    int ok = 1;
    /* 0 <= j <= i < 10: 10 + 9 + ... + 1 = 55 points. */
    isl_set *triangle = isl_set_read_from_str(ctx, "{ [i, j] : 0 <= j <= i < 10 }");
    isl_set *square = isl_set_read_from_str(ctx, "{ [i, j] : 0 <= i < 10 and 0 <= j < 10 }");
    isl_set *diagonal = isl_set_read_from_str(ctx, "{ [i, j] : i = j }");
    isl_val *count = isl_set_count_val(triangle);
    if (count == NULL || isl_val_get_num_si(count) != 55) {
        fprintf(stderr, "triangle has %ld points, expected 55\n", count ? isl_val_get_num_si(count) : -1L);
        ok = 0;
    }
    isl_val_free(count);
    if (isl_set_is_subset(triangle, square) != isl_bool_true || isl_set_is_subset(square, triangle) != isl_bool_false) {
        fprintf(stderr, "subset relation wrong\n");
        ok = 0;
    }
    isl_set *both = isl_set_intersect(isl_set_copy(square), diagonal);
    count = isl_set_count_val(both);
    if (count == NULL || isl_val_get_num_si(count) != 10) {
        fprintf(stderr, "square and diagonal share %ld points, expected 10\n", count ? isl_val_get_num_si(count) : -1L);
        ok = 0;
    }
    isl_val_free(count);
    isl_set_free(both);
    isl_set_free(square);
    isl_set_free(triangle);
    isl_ctx_free(ctx);
    if (strstr(isl_version(), "0.25") == NULL) {
        fprintf(stderr, "unexpected isl version %s\n", isl_version());
        ok = 0;
    }
    if (!ok) return 1;
    printf("%s OK\n", isl_version());
    return 0;
}
