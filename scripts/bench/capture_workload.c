/* The capture benchmark's workloads: tight syscall loops that time themselves.
 *
 *   capture_workload write  FILE N SIZE   N pwrite()s of SIZE bytes at offset 0 of FILE
 *   capture_workload open   DIR  N        N open(O_WRONLY|O_CREAT) + close() of DIR/f<i % 64>
 *   capture_workload file   DIR  N        N open(O_WRONLY|O_CREAT|O_TRUNC) + write() of 4 KiB + close()
 *                                         of DIR/f<i % 64>: a written file per iteration
 *
 * Prints one line: "<workload> <n> <elapsed ns>". Timing the loop itself leaves out the
 * recorder's start-up (loading the eBPF programs) and the process start, so the ratio against
 * an unrecorded run is the cost of being recorded. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s write FILE N SIZE | open DIR N | file DIR N\n", argv[0]);
        return 2;
    }
    long n = atol(argv[3]);
    if (strcmp(argv[1], "write") == 0) {
        size_t size = argc > 4 ? (size_t)atol(argv[4]) : 4096;
        char *buf = calloc(1, size);
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || !buf) { perror("open"); return 1; }
        long long t0 = now_ns();
        for (long i = 0; i < n; i++)
            if (pwrite(fd, buf, size, 0) != (ssize_t)size) { perror("pwrite"); return 1; }
        long long t1 = now_ns();
        close(fd);
        printf("write%zu %ld %lld\n", size, n, t1 - t0);
    } else if (strcmp(argv[1], "file") == 0) {
        char path[4096], buf[4096] = {0};
        long long t0 = now_ns();
        for (long i = 0; i < n; i++) {
            snprintf(path, sizeof path, "%s/f%ld", argv[2], i % 64);
            int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0) { perror("open"); return 1; }
            if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) { perror("write"); return 1; }
            close(fd);
        }
        long long t1 = now_ns();
        printf("file %ld %lld\n", n, t1 - t0);
    } else {
        char path[4096];
        long long t0 = now_ns();
        for (long i = 0; i < n; i++) {
            snprintf(path, sizeof path, "%s/f%ld", argv[2], i % 64);
            int fd = open(path, O_WRONLY | O_CREAT, 0644);
            if (fd < 0) { perror("open"); return 1; }
            close(fd);
        }
        long long t1 = now_ns();
        printf("open %ld %lld\n", n, t1 - t0);
    }
    return 0;
}
