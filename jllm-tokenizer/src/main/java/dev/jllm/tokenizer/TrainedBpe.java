package dev.jllm.tokenizer;

import dev.jllm.gguf.GgufArray;
import dev.jllm.gguf.GgufValue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of {@link BpeTrainer}: tokens as bytes (id order: specials, 256 bytes, merges) and the
 * merges as id pairs, with writers for the two formats models ship with.
 *
 * <p>Example: {@code trained.writeTokenizerJson(Path.of("tokenizer.json"))} writes a ByteLevel BPE that
 * HF tokenizers and {@link TokenizerJsonLoader} read with identical ids; {@code new GgufWriter().putAll(
 * trained.toGgufMetadata())} embeds the same vocabulary in a GGUF ({@code tokenizer.ggml.model = gpt2}).
 */
public final class TrainedBpe {

    /**
     * @param corpusBytes UTF-8 bytes of training text
     * @param uniqueWords distinct pre-tokens counted
     * @param mergeNanos  time spent in the merge phase (pair counting included)
     */
    public record Stats(long corpusBytes, int uniqueWords, long mergeNanos) {
        public Stats {
            if (corpusBytes < 0 || uniqueWords < 0 || mergeNanos < 0) throw new IllegalArgumentException("negative training statistic");
        }
    }

    private final List<byte[]> tokens;
    private final List<int[]> merges;
    private final int specials;
    private final TrainingPreTokenizer pre;
    private final Stats stats;

    TrainedBpe(List<byte[]> tokens, List<int[]> merges, int specials, TrainingPreTokenizer pre, Stats stats) {
        this.tokens = List.copyOf(tokens);
        this.merges = List.copyOf(merges);
        this.specials = specials;
        this.pre = pre;
        this.stats = stats;
        if (this.tokens.size() != specials + 256 + this.merges.size()) {
            throw new IllegalArgumentException(tokens.size() + " tokens for " + specials + " specials, 256 bytes and " + merges.size() + " merges");
        }
    }

    public int vocabSize() {
        return tokens.size();
    }

    public int mergeCount() {
        return merges.size();
    }

    public Stats stats() {
        return stats;
    }

    public TrainingPreTokenizer preTokenizer() {
        return pre;
    }

    /** The bytes of a token (special tokens: their UTF-8 text). A copy. */
    public byte[] tokenBytes(int id) {
        return tokens.get(id).clone();
    }

    /** Merge {@code rank} as the two token ids it joins. */
    public int[] merge(int rank) {
        return merges.get(rank).clone();
    }

    /** Token text as stored in files: special tokens as written, the rest as byte-level strings ("Ġthe"). */
    public String piece(int id) {
        byte[] b = tokens.get(id);
        return id < specials ? new String(b, StandardCharsets.UTF_8) : ByteLevel.encode(b);
    }

    private String[] pieces() {
        String[] p = new String[tokens.size()];
        Map<String, Integer> seen = new HashMap<>();
        for (int id = 0; id < p.length; id++) {
            p[id] = piece(id);
            Integer other = seen.putIfAbsent(p[id], id);
            if (other != null) {
                throw new IllegalStateException("special token '" + p[other] + "' (id " + other + ") has the same text as learned token " + id
                        + "; choose a special token that is not plain text of the corpus");
            }
        }
        return p;
    }

    private List<String> mergeStrings(String[] pieces) {
        List<String> out = new ArrayList<>(merges.size());
        for (int[] m : merges) out.add(pieces[m[0]] + " " + pieces[m[1]]);
        return out;
    }

    /** An HF {@code tokenizer.json} (ByteLevel BPE, no normalizer, special tokens as added tokens). */
    public String toTokenizerJson() {
        String[] p = pieces();
        StringBuilder sb = new StringBuilder(tokens.size() * 40);
        sb.append("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [");
        for (int id = 0; id < specials; id++) {
            sb.append(id == 0 ? "\n" : ",\n").append("    {\"id\": ").append(id).append(", \"content\": ");
            quote(sb, p[id]);
            sb.append(", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}");
        }
        sb.append(specials > 0 ? "\n  ],\n" : "],\n");
        sb.append("  \"normalizer\": null,\n  \"pre_tokenizer\": ");
        String byteLevel = "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": %s}";
        if (pre.hfRegex() == null) {
            sb.append(byteLevel.formatted("true"));
        } else {
            sb.append("{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": ");
            quote(sb, pre.hfRegex());
            sb.append("}, \"behavior\": \"Isolated\", \"invert\": false}, ").append(byteLevel.formatted("false")).append("]}");
        }
        sb.append(",\n  \"post_processor\": null,\n");
        sb.append("  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true},\n");
        sb.append("  \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null, \"continuing_subword_prefix\": null, ")
                .append("\"end_of_word_suffix\": null, \"fuse_unk\": false, \"byte_fallback\": false, \"ignore_merges\": ")
                .append(pre.ignoreMerges()).append(",\n    \"vocab\": {");
        for (int id = 0; id < p.length; id++) {
            sb.append(id == 0 ? "\n      " : ",\n      ");
            quote(sb, p[id]);
            sb.append(": ").append(id);
        }
        sb.append("\n    },\n    \"merges\": [");
        List<String> ms = mergeStrings(p);
        for (int i = 0; i < ms.size(); i++) {
            sb.append(i == 0 ? "\n      " : ",\n      ");
            quote(sb, ms.get(i));
        }
        sb.append(ms.isEmpty() ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n");
        return sb.toString();
    }

    public void writeTokenizerJson(Path path) throws IOException {
        Files.writeString(path, toTokenizerJson(), StandardCharsets.UTF_8);
    }

    /**
     * The {@code tokenizer.ggml.*} metadata of this vocabulary, as llama.cpp names it: model
     * {@code gpt2}, pre as {@link TrainingPreTokenizer#ggufPre()}, tokens, token types (special
     * tokens CONTROL), merges, no BOS/EOS added; BOS and EOS ids are the first special token's
     * (GPT-2's convention for {@code <|endoftext|>}) and are left out when there is none.
     */
    public Map<String, GgufValue> toGgufMetadata() {
        String[] p = pieces();
        int[] types = new int[p.length];
        for (int id = 0; id < p.length; id++) types[id] = (id < specials ? TokenType.CONTROL : TokenType.NORMAL).code();
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
        m.put("tokenizer.ggml.pre", GgufValue.ofString(pre.ggufPre()));
        m.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings(p)));
        m.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufArray.ofInt32(types)));
        m.put("tokenizer.ggml.merges", GgufValue.ofArray(GgufArray.ofStrings(mergeStrings(p).toArray(String[]::new))));
        if (specials > 0) {
            m.put("tokenizer.ggml.bos_token_id", GgufValue.ofUInt32(0));
            m.put("tokenizer.ggml.eos_token_id", GgufValue.ofUInt32(0));
        }
        m.put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(false));
        m.put("tokenizer.ggml.add_eos_token", GgufValue.ofBool(false));
        return m;
    }

    /** This vocabulary as a jllm tokenizer, built from the written tokenizer.json (so it is exactly what a user loads). */
    public ByteLevelBpe tokenizer() {
        try {
            return TokenizerJsonLoader.build(Json.parse(toTokenizerJson(), "trained tokenizer.json"), "trained tokenizer.json");
        } catch (TokenizerFormatException e) {
            throw new IllegalStateException("the trainer wrote a tokenizer.json jllm cannot read: " + e.getMessage(), e);
        }
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || Character.isSurrogate(c) && !validSurrogateAt(s, i)) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }

    private static boolean validSurrogateAt(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
