/* The gcc recipe's OpenMP test: a parallel reduction through libgomp on four threads. */
#include <omp.h>
#include <stdio.h>

int main(void) {
    long sum = 0;
    int threads = 0;
#pragma omp parallel for reduction(+ : sum) num_threads(4)
    for (long i = 1; i <= 1000; i++) {
        sum += i;
        if (i == 1) threads = omp_get_num_threads();
    }
    printf("omp: %ld on %d threads\n", sum, threads);
    return sum == 500500 && threads == 4 ? 0 : 1;
}
