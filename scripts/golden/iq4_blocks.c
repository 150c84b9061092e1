// Block-level golden data for IQ4_NL / IQ4_XS from llama.cpp's own libggml-base (not a copy of its
// code): for the four input distributions of jllm-tensor's GoldenQuantizeTest (xorshift32, float
// arithmetic only, reproduced exactly in Java), writes to DIR:
//   <type>-<dist>-q.bin      ggml_quantize_chunk(type, x, 1 row of 4096, imatrix NULL)   (= quantize_iq4_{nl,xs})
//   <type>-<dist>-qw.bin     the same with importance weights w[i] = 0.25 + 4·u01 (seed 777 + dist)
//   <type>-<dist>-deq.bin    type_traits.to_float of the -q bytes (dequantize_row_iq4_{nl,xs}), float32 LE
// Built and run by scripts/golden/make_llamacpp_iq4_block_golden.sh.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "ggml.h"

#define N 4096

static float u01(uint32_t * st) {
    uint32_t s = *st;
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    *st = s;
    return (s >> 8) * (1.0f / 16777216.0f);
}

static void generate(int dist, uint32_t seed, float * x) {
    uint32_t st = seed;
    for (int i = 0; i < N; i++) {
        float v;
        if (dist == 0) v = 2.0f * u01(&st) - 1.0f;
        else if (dist == 1) {
            float s = u01(&st);
            s += u01(&st);
            s += u01(&st);
            s += u01(&st);
            s -= 2.0f;
            v = s * ldexpf(1.0f, (i / 32) % 8 - 4);
        } else if (dist == 2) v = 3.0f * u01(&st) + 0.25f;
        else {
            float a = u01(&st), b = u01(&st);
            v = (i / 256) % 3 == 1 ? 0.0f : (a < 0.1f ? (2.0f * b - 1.0f) * 100.0f : 0.0f);
        }
        x[i] = v;
    }
}

static void save(const char * dir, const char * name, const void * p, size_t n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE * f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n) { perror(path); exit(1); }
    fclose(f);
}

int main(int argc, char ** argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s OUTDIR\n", argv[0]); return 2; }
    static float x[N], w[N], back[N];
    static uint8_t q[N * 2];
    enum ggml_type types[2] = { GGML_TYPE_IQ4_NL, GGML_TYPE_IQ4_XS };
    for (int t = 0; t < 2; t++) {
        const char * tn = ggml_type_name(types[t]);
        size_t rb = ggml_row_size(types[t], N);
        for (int dist = 0; dist < 4; dist++) {
            char name[64];
            generate(dist, 12345 + dist, x);
            uint32_t st = 777 + dist;
            for (int i = 0; i < N; i++) w[i] = 0.25f + 4.0f * u01(&st);
            ggml_quantize_chunk(types[t], x, q, 0, 1, N, NULL);
            snprintf(name, sizeof name, "%s-%d-q.bin", tn, dist);
            save(argv[1], name, q, rb);
            ggml_get_type_traits(types[t])->to_float(q, back, N);
            snprintf(name, sizeof name, "%s-%d-deq.bin", tn, dist);
            save(argv[1], name, back, sizeof back);
            ggml_quantize_chunk(types[t], x, q, 0, 1, N, w);
            snprintf(name, sizeof name, "%s-%d-qw.bin", tn, dist);
            save(argv[1], name, q, rb);
        }
    }
    return 0;
}
