/* Call C functions through ffi_prep_cif/ffi_call: integer, double and pointer arguments and returns. */
#include <stdio.h>
#include <string.h>
#include <ffi.h>

static int add3(int a, int b, int c) { return a + b + c; }
static double scale(double x, int k) { return x * k; }
static size_t length(const char *s) { return strlen(s); }

int main(void) {
    ffi_cif cif;
    ffi_type *int_args[3] = {&ffi_type_sint, &ffi_type_sint, &ffi_type_sint};
    ffi_type *scale_args[2] = {&ffi_type_double, &ffi_type_sint};
    ffi_type *ptr_args[1] = {&ffi_type_pointer};
    int a = 40, b = 1, c = 1;
    void *values[3] = {&a, &b, &c};
    ffi_arg int_result = 0;
    double x = 1.5, d_result = 0;
    int k = 4;
    void *scale_values[2] = {&x, &k};
    const char *s = "archi";
    void *ptr_values[1] = {&s};
    ffi_arg len_result = 0;

    if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 3, &ffi_type_sint, int_args) != FFI_OK) return 1;
    ffi_call(&cif, FFI_FN(add3), &int_result, values);
    if ((int)int_result != 42) {
        fprintf(stderr, "add3 returned %d\n", (int)int_result);
        return 1;
    }
    if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_double, scale_args) != FFI_OK) return 1;
    ffi_call(&cif, FFI_FN(scale), &d_result, scale_values);
    if (d_result != 6.0) {
        fprintf(stderr, "scale returned %f\n", d_result);
        return 1;
    }
    if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_pointer, ptr_args) != FFI_OK) return 1;
    ffi_call(&cif, FFI_FN(length), &len_result, ptr_values);
    if ((size_t)len_result != 5) {
        fprintf(stderr, "length returned %zu\n", (size_t)len_result);
        return 1;
    }
    printf("ffi_call OK: add3=%d scale=%g length=%zu\n", (int)int_result, d_result, (size_t)len_result);
    return 0;
}
