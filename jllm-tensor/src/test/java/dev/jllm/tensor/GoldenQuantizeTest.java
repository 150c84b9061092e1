package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Byte-identity with llama.cpp. The expected SHA-256 values were produced by llama.cpp's
 * quantize_row_{q8_0,q4_0,q4_1,q5_0,q5_1,q4_K,q5_K,q6_K}_ref, GGML_FP32_TO_FP16 and GGML_FP32_TO_BF16
 * (ggml-quants.c / ggml-impl.h, compiled by gcc for x86-64 at -O0 and -O2: same bytes) over 4096
 * floats from the generator below, which the C side reproduces exactly (xorshift32, float
 * arithmetic only). The input hashes pin the generator so a failure cannot come from the data.
 * The Q5_0/Q5_1 hashes (quantize and dequantize_row_q5_{0,1}) come from a harness calling those
 * functions in llama.cpp c392e50's own libggml-base, which also reproduced the Q4_0 hashes below.
 *
 * <p>Distributions: 0 uniform [−1, 1); 1 sum of four uniforms, scaled by 2^(−4..3) per 32-block
 * (every block a different magnitude); 2 all positive [0.25, 3.25) (the min &gt; 0 paths of the
 * K-quant fits); 3 sparse ±100 spikes in zeros, every third super-block entirely zero (the all-zero
 * and d = 0 paths).
 */
class GoldenQuantizeTest {
    static final int N = 4096;

    static float[] generate(int dist, int seed) {
        int[] st = {seed};
        float[] x = new float[N];
        for (int i = 0; i < N; i++) {
            float v;
            switch (dist) {
                case 0 -> v = 2.0f * u01(st) - 1.0f;
                case 1 -> {
                    float s = u01(st);
                    s += u01(st);
                    s += u01(st);
                    s += u01(st);
                    s -= 2.0f;
                    v = s * Math.scalb(1.0f, (i / 32) % 8 - 4);
                }
                case 2 -> v = 3.0f * u01(st) + 0.25f;
                default -> {
                    float a = u01(st), b = u01(st);
                    v = (i / 256) % 3 == 1 ? 0.0f : (a < 0.1f ? (2.0f * b - 1.0f) * 100.0f : 0.0f);
                }
            }
            x[i] = v;
        }
        return x;
    }

    /** xorshift32 (13, 17, 5), top 24 bits as a float in [0, 1). */
    static float u01(int[] st) {
        int s = st[0];
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        st[0] = s;
        return (s >>> 8) * (1.0f / 16777216.0f);
    }

    static String sha256(MemorySegment s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.toArray(ValueLayout.JAVA_BYTE)));
    }

    @ParameterizedTest
    @CsvSource({
        "0, e859678f65ed45f729215498b9c6173c6e644e73136a970d63154e006a17f9d2",
        "1, e97028be09ecc4f108652dd59e8682b2f8d57d8477ca61fe7068b92a7dc5cfd2",
        "2, f606f51f24094b0b75a1303d2be89c5446f160d7ca0bc37f30ddd6398e9a5334",
        "3, dd354900d983b2ac800aa73498df8afdf0eeabbfbd36695a56ef1f1c7b232919",
    })
    void generatorMatchesTheCSide(int dist, String inputSha) throws Exception {
        MemorySegment s = QuantTesting.segment(4L * N);
        F32Format.INSTANCE.quantize(generate(dist, 12345 + dist), 0, N, s, 0);
        assertEquals(inputSha, sha256(s));
    }

    @ParameterizedTest(name = "{0} dist {1}")
    @CsvSource({
        "Q8_0, 0, c9116b50ca6fddd5cfa599f3e1983ca90499bcd930d2b275ec4df1d82300218e",
        "Q8_0, 1, f469a4322d392cd76c6b1c1c725b240aa3bb995a5805e0a1f6ef3f3b60424968",
        "Q8_0, 2, 29c7631122466bf815e76d4eac2b284e78914ce2591aee6e34d1b80684c7a352",
        "Q8_0, 3, 8ad6aa97b96083045ab244c2162f3a8e3ddf6a23628651bab109d38c2ebe702b",
        "Q4_0, 0, c87c4b3d6fe7394f20443cb8593c5c84aa5bd39755b193eb3b42c5e0ea90af7e",
        "Q4_0, 1, 7a23f948406699f705fb92aee313f9073e48138a901a48f5e762c829ead879f3",
        "Q4_0, 2, 756aacbd2440c0c24bec5359cfb225c1a455b9dd11906dba552d7ed0e6fd068b",
        "Q4_0, 3, d358a27c1265d7fbd4bd467ddf878522f2f0d63ed60bb1870b1cc21fad280899",
        "Q4_1, 0, 6144e6d5375a78d70286e5867aa0d66e62a1d9f54c01adff3555929603271629",
        "Q4_1, 1, 482a30f0529c4dafc46bec468ffb28f0d770fbf963e8141f2e8ccc94cad60937",
        "Q4_1, 2, 87252e3ded1f6667281cdcd4c56ace6bfd72d28b95e2859e8e2bdf4d6366a430",
        "Q4_1, 3, 75e8167ce2fd3a3d9af8f79f021cbbfce599b0d029a23e5beca5220d3911bd6c",
        "Q5_0, 0, 41daf8e32eb3787e111fc6a952f1160a6490c63c314129971a3e74237603fc59",
        "Q5_0, 1, b7617cfd5804a8cbaf47df0e0a9476260599fb1e632d17a601a12c04f1307bda",
        "Q5_0, 2, d682ba8eddf2686e0fdf6add58403d485410fd5616aa2446030bd6edc6ed8bc2",
        "Q5_0, 3, b07405da3e5045b63aff486460001d54145a6e55d8a681e2491f4e3198102f03",
        "Q5_1, 0, 57be0bb2b1f9a6b4e739049ef4c441afc7d03a122c9d89cc650ab98695fa090f",
        "Q5_1, 1, 73d3025b155a4e978363d7205f991319c38f6113329a1da809d8df90c88aac30",
        "Q5_1, 2, b71345b94e142fd7935f3c75eb5315ff5e79003115d4c3f0bb8364bc341e7d66",
        "Q5_1, 3, d969ad6e14fd936682dd9fe480736de3e0bb486956666f8846e1efc7f1243c3c",
        "Q4_K, 0, db3adce733258ebf1c5ed32830d30e43b13530b5377c7ba8b366f9208936b303",
        "Q4_K, 1, aba98a7e48eca312ebe47cd5f1c861908ce66aa821775e4ea820a8648b39622e",
        "Q4_K, 2, 39be8b201da5a42799964287d6a1f7c0addb7fc4435e9674ceeb869219a70488",
        "Q4_K, 3, be0b6d3b99c5a7e208177bb106798946b34389652e72960184be9b95e4756132",
        "Q5_K, 0, 0dd04edc0cfe097ed0071f3851225b0f0e3e68c8b3da59fd586b781b730ca862",
        "Q5_K, 1, 723aa12e098fd8024f146efc5e72773646522b0b25a5b7f8cd236072a93fe3ff",
        "Q5_K, 2, 5a514d21636428ea2ae8636dce40bcf53d27c024a9c7dc0fc66997dc18eb9bcf",
        "Q5_K, 3, 1ace0c0ab22833f425bac1fd3ef9bb6ab284c943f4492fc3d8145af2cbe15697",
        "Q6_K, 0, a50696b0faabc4b68429e22f12a38271dc28f31a2df618e5dc2e0a6729199b3c",
        "Q6_K, 1, 2312a1de7aed831680b27e2cea290c18b1224939bedbddbe99f2070851ab6e3c",
        "Q6_K, 2, 8e9f161293e38bb9dcfafe36e2b70b132a40e011db8d48c6beaec8cec030c8f2",
        "Q6_K, 3, b222a46e38f772050e4feb2cc458fc38388ef7c5d87bc157615b6ad723424ba4",
        "F16, 0, 040b1c495b4b1cecb4fc702ed88a158eec64cab73d341a76d49688efedb10be5",
        "F16, 1, 3ba70b6c903b7c39f1f6dc89934f1a6dfb7750e23ce84e181c9ff83fa6af6a97",
        "F16, 2, cd4cc9d0bb412cb9ece2fa36fa8645f8de81eb99b03ea369ab514cb33cc1b786",
        "F16, 3, 8b95daf5dcc8d3a1ea8382099030ee1bc0b228a577a2d388cebf337c8e7d0fab",
        "BF16, 0, d0cdd31aae453ef9d01a569ad36736a1f3a79ab32d3fb5ecd8edda4d6b7a5b76",
        "BF16, 1, 42074904d02b10a8f86c64167c90e5e1493ad3aa91f1820c130ff68df23a6296",
        "BF16, 2, 6de35ce91e66e5c8194327bb866a49069b080cb6f6946ea2ba24beab288d634a",
        "BF16, 3, f5e27fff332c605eab68f59e187c247175cd311b3c5b406726ac50f06e19987f",
    })
    void quantizeIsByteIdenticalToLlamaCpp(GgmlType t, int dist, String sha) throws Exception {
        BlockFormat f = BlockFormats.of(t);
        float[] x = generate(dist, 12345 + dist);
        MemorySegment s = QuantTesting.segment(f.rowBytes(N));
        f.quantize(x, 0, N, s, 0);
        assertEquals(sha, sha256(s), t + " dist " + dist);
    }

    /** dequantize(quantize(x)) as float32 little-endian, against llama.cpp's dequantize_row_q5_{0,1}. */
    @ParameterizedTest(name = "{0} dist {1}")
    @CsvSource({
        "Q5_0, 0, d9cc14dc86b0755e4da544e0dba709389bff02c2069e5f39d4b918b85a15853f",
        "Q5_0, 1, 24ec53627b4511459f898d377c9a82b1738f55aca7f4dd72c652eb13ee402117",
        "Q5_0, 2, df013b7c574c9c529ac4ad72bec92a8476459aa0e3e7d461e016f5e4394387c5",
        "Q5_0, 3, 8cae8407813f5fca8d3fec532397bcd496efe881c5a2e7845a97d77b3bbd9d36",
        "Q5_1, 0, e708ceefb8b371a60a208b1a231b3f60ee0d902ce448f6e36e5f40d5b7aeb308",
        "Q5_1, 1, 744b2f789b3cefbb0235856ba2b56cc8152acbb035d8ff2699b7fa06174ea63d",
        "Q5_1, 2, 37dbfa8a5dc60986be2ee31d105ecc0619d127808a7017d863d21e7e9fdd9c80",
        "Q5_1, 3, 56b4842d05e4f45ecf3d73d832feafa60ef0053edf8e2d464e0f6a7ccfb3dd35",
    })
    void dequantizeIsBitIdenticalToLlamaCpp(GgmlType t, int dist, String sha) throws Exception {
        BlockFormat f = BlockFormats.of(t);
        MemorySegment q = QuantTesting.segment(f.rowBytes(N));
        f.quantize(generate(dist, 12345 + dist), 0, N, q, 0);
        float[] back = new float[N];
        f.dequantize(q, 0, back, 0, N);
        MemorySegment s = QuantTesting.segment(4L * N);
        F32Format.INSTANCE.quantize(back, 0, N, s, 0);
        assertEquals(sha, sha256(s), t + " dist " + dist);
    }
    /**
     * IQ4_NL / IQ4_XS against llama.cpp 3f545becc's libggml-base, called by scripts/golden/iq4_blocks.c
     * (run by scripts/golden/make_llamacpp_iq4_block_golden.sh): "q" is ggml_quantize_chunk without
     * weights (quantize_iq4_nl / quantize_iq4_xs, what llama-quantize writes), "qw" with the importance
     * weights of {@link #importance}, "deq" the type's to_float (dequantize_row_iq4_*) of the "q" bytes,
     * as float32 little-endian.
     */
    @ParameterizedTest(name = "{0} dist {1} {2}")
    @CsvSource({
        "IQ4_NL, 0, q, eced2e0ca62937c8354118b0cb8a010daa45d32d4dddc3598b3ca60eb26d7bfb",
        "IQ4_NL, 1, q, 5516df664a66c57b3f9484329b042948709e562a022f153778aecb8a16fcdd1f",
        "IQ4_NL, 2, q, aaf669f256fd574e8528426be1d72480888e3d6640c3ccdf1394e9852c8673f7",
        "IQ4_NL, 3, q, 1bd6b0b1b6fa4b1e0628e410b164d5aca68ad1c6b84ad793ceccae04a27374eb",
        "IQ4_NL, 0, qw, 7ef8ff6be65822eccf755012893440b04daa2f8c2fce99eeb9fdb13f3c311fb8",
        "IQ4_NL, 1, qw, 72413490964469628616097042d26f9345c0753283c479ab2e871db01977431a",
        "IQ4_NL, 2, qw, 7d179aa8e6228818fff316750210c52afa71180a7c90dead3baa11c4abe87305",
        "IQ4_NL, 3, qw, 5e8200b7933cfe27ec2aa583034a8a7a44ffdfd756c2fb79c78f49d9a97abd1c",
        "IQ4_NL, 0, deq, d9d8a1ebe3e0845d8fa5afbfe5eee28eab48e03f95cfbc892d3b06a055820bc3",
        "IQ4_NL, 1, deq, 053697163427556936ec3420b176639a5ba2dfd999157f600b0fc2eaa8b4c7f8",
        "IQ4_NL, 2, deq, e37a89615dfb4314104ddf152914123a7973e88bfd7d9d144b8eb5bafbe1b682",
        "IQ4_NL, 3, deq, d1fc6e64bae5c7330de1b036e266bf241ffe5865a644263e5d7b51b0a29a88d3",
        "IQ4_XS, 0, q, 332345a5702b5f4cddf94c1bfbb748324a46ecd7bdba1230dddab246bcf01992",
        "IQ4_XS, 1, q, 5a3521fc740516d0ef748f88a96261f378c65715bec88654e8544134fb041ed6",
        "IQ4_XS, 2, q, 0ee3a07c24ad3ef5a0fa66f7cd0137a094dfe03b9794a29a8e7f28a808cf78c7",
        "IQ4_XS, 3, q, 5e466429f3c9330e85b102dcf96862cbe26c5ece99a4d7c7719e329403621849",
        "IQ4_XS, 0, qw, 56b50d9cf4c14ec857025098c4e4ffada19d2ab95a6881c5e7b8d9ee73ece683",
        "IQ4_XS, 1, qw, b40e2760158d7bffa6efe905790ae0e98c3d07595537315ef6721de6ad9fbc68",
        "IQ4_XS, 2, qw, d7d9f1d099c671d5a361f86cb2c8e28e456a058b5ef0cc1f5682adb4c2f68bbf",
        "IQ4_XS, 3, qw, 7468340033e0d3b043f8df3c2da260a3056bfa2728d71bb100c027ae6286bb1e",
        "IQ4_XS, 0, deq, 6d79efa675652da3ae5260c35edef086a6945dde9551445ccb30ea085bd6dcbd",
        "IQ4_XS, 1, deq, 2676fa1176686b39e8248cc683dc7cc1b05161fa957e2d2938a0b4965876fefa",
        "IQ4_XS, 2, deq, 4a53202b41a1c4ba57c4b04a1f761b51f52f2fe641534d963a0c653d157c7b73",
        "IQ4_XS, 3, deq, eb500dcca225caeddd916267d4cc22a3a49d6e2c1179266cb077e7fee34cf12e",
    })
    void iq4IsByteIdenticalToLlamaCpp(GgmlType t, int dist, String what, String sha) throws Exception {
        BlockFormat f = BlockFormats.of(t);
        float[] x = generate(dist, 12345 + dist);
        MemorySegment q = QuantTesting.segment(f.rowBytes(N));
        if (what.equals("qw")) f.quantize(x, 0, N, importance(dist), 0, q, 0);
        else f.quantize(x, 0, N, q, 0);
        MemorySegment s = q;
        if (what.equals("deq")) {
            float[] back = new float[N];
            f.dequantize(q, 0, back, 0, N);
            s = QuantTesting.segment(4L * N);
            F32Format.INSTANCE.quantize(back, 0, N, s, 0);
        }
        assertEquals(sha, sha256(s), t + " dist " + dist + " " + what);
    }

    /** The harness's importance weights: 0.25 + 4·u01, xorshift32 seeded 777 + dist. */
    static float[] importance(int dist) {
        int[] st = {777 + dist};
        float[] w = new float[N];
        for (int i = 0; i < N; i++) w[i] = 0.25f + 4.0f * u01(st);
        return w;
    }
}
