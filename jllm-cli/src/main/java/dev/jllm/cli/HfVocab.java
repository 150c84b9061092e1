package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.gguf.GgufArray;
import dev.jllm.gguf.GgufValue;
import dev.jllm.tokenizer.ByteLevelBpe;
import dev.jllm.tokenizer.PreTokenizer;
import dev.jllm.tokenizer.TokenizerJsonLoader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code tokenizer.ggml.*} metadata llama.cpp's {@code convert_hf_to_gguf.py} writes for a
 * byte-level BPE {@code tokenizer.json} (its {@code _set_vocab_gpt2}: {@code get_vocab_base},
 * {@code get_vocab_base_pre}, gguf-py's {@code SpecialVocab}), computed without transformers:
 *
 * <ul>
 *   <li>tokens: ids 0..vocab_size−1 of config.json; an id with no token is {@code [PAD<id>]} UNUSED;
 *       added tokens that are special or look special ({@code <|...|>}) are CONTROL, other added
 *       tokens USER_DEFINED (with '▁' turned back into ' '), the rest NORMAL;
 *   <li>pre: the SHA-256 of {@code str(tokenizer.encode(chktxt))} looked up in llama.cpp's table
 *       (resource {@code llamacpp-pre-hashes.tsv}); a tokenizer llama.cpp does not know (a freshly
 *       trained one) falls back to the llama.cpp pre-tokenizer whose regexes equal the file's, with
 *       a warning — llama.cpp's converter would refuse it;
 *   <li>merges as written ("a b"; [a, b] pairs joined, inner spaces as U+0120 as gguf-py does);
 *   <li>bos/eos/unk/sep/pad/cls/mask ids from tokenizer_config.json's *_token through added_tokens,
 *       then config.json's *_token_id; add_bos/add_eos from the post-processor's template and
 *       tokenizer_config.json's add_*_token; chat_template from tokenizer_config.json or
 *       chat_template.jinja.
 * </ul>
 * Only the single-sequence part of a TemplateProcessing matters for a causal model, so the pair
 * template (add_sep) is not interpreted.
 */
final class HfVocab {
    private HfVocab() {}

    /** llama.cpp's check string (convert_hf_to_gguf.py, get_vocab_base_pre). */
    static final String CHKTXT = "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n\uD83D\uDE80 (normal) \uD83D\uDE36\u200D\uD83C\uDF2B\uFE0F (multiple emojis concatenated)"
            + " \u2705 \uD83E\uDD99\uD83E\uDD99 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 "
            + "\u1780\u17B6\u1793\u17CB\u178F\u17C2\u1796\u17B7\u179F\u17C1\u179F\u17A2\u17B6\u1785\uD83D\uDE01 ?\u6211\u60F3\u5728apple\u5DE5\u4F5C1314151\u5929\uFF5E"
            + " ------======= \u043D\u0435\u0449\u043E \u043D\u0430 \u0411\u044A\u043B\u0433\u0430\u0440\u0441\u043A\u0438 ''''''```````\"\"\"\"......!!!!!!??????"
            + " I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL";

    /** llama.cpp pre-tokenizer names tried by regex identity when the hash is unknown (as {@code jllm init --tokenizer}). */
    private static final List<String> REGEX_PRES = List.of("qwen2", "llama-bpe", "gpt-2", "default", "starcoder", "deepseek-v3",
            "deepseek-llm", "deepseek-coder", "falcon");

    /** The metadata, in llama.cpp's order; {@code warnings} collects what llama.cpp would not have done. */
    static Map<String, GgufValue> metadata(Path dir, JsonNode config, int vocabSize, boolean llamaArch, List<String> warnings) throws IOException {
        Path tj = dir.resolve("tokenizer.json"), spm = dir.resolve("tokenizer.model");
        JsonNode tcNode = HfCheckpoint.readJson(dir.resolve("tokenizer_config.json"), false);
        ObjectNode tc = tcNode instanceof ObjectNode o ? o.deepCopy() : null;
        Map<String, GgufValue> m = new LinkedHashMap<>();
        if (llamaArch && tc != null && tc.get("add_prefix_space") != null && tc.get("add_prefix_space").isBoolean()) { // LlamaModel.set_vocab
            m.put("tokenizer.ggml.add_space_prefix", GgufValue.ofBool(tc.get("add_prefix_space").asBoolean()));
        }
        JsonNode tok = Files.isRegularFile(tj) ? HfCheckpoint.readJson(tj, true) : com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        int nVocab;
        if (Files.isRegularFile(spm)) { // _set_vocab_sentencepiece comes first when tokenizer.model is there
            nVocab = sentencePiece(spm, tc, vocabSize, m, warnings);
        } else if (Files.isRegularFile(tj)) {
            bpe(tj, tok, vocabSize, m, warnings);
            nVocab = -1; // SpecialVocab without n_vocab
        } else {
            throw new IOException(dir + ": no tokenizer.json or tokenizer.model; a Hugging Face model directory needs one of them");
        }
        specials(dir, tok, tc, config, vocabSize, nVocab, m, warnings);
        return m;
    }

    /** _create_vocab_sentencepiece: pieces, scores, types; added_tokens.json and tokenizer_config's added_tokens_decoder on top; [PAD<i>] up to vocab_size. */
    private static int sentencePiece(Path spm, ObjectNode tc, int vocabSize, Map<String, GgufValue> m, List<String> warnings) throws IOException {
        SentencePieceModel sp = SentencePieceModel.read(spm);
        String[] tokens = new String[vocabSize];
        float[] scores = new float[vocabSize];
        int[] types = new int[vocabSize];
        for (int i = 0; i < vocabSize; i++) {
            tokens[i] = "[PAD" + i + "]";
            scores[i] = -10000f;
            types[i] = 5;
        }
        for (int i = 0; i < sp.pieces().size(); i++) {
            if (i >= vocabSize) {
                warnings.add(spm + ": pieces from id " + i + " are beyond config.json's vocab_size " + vocabSize + " and are left out");
                break;
            }
            SentencePieceModel.Piece p = sp.pieces().get(i);
            tokens[i] = p.text();
            scores[i] = p.score();
            types[i] = switch (p.type()) { case 2 -> 2; case 3 -> 3; case 5 -> 5; case 6 -> 6; default -> 1; }; // USER_DEFINED stays NORMAL, as there
        }
        JsonNode addedJson = HfCheckpoint.readJson(spm.resolveSibling("added_tokens.json"), false);
        if (addedJson != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = addedJson.fields(); it.hasNext(); ) {
                var e = it.next();
                int id = e.getValue().asInt();
                if (id >= vocabSize) continue;
                tokens[id] = e.getKey();
                scores[id] = -1000f;
                types[id] = 4;
            }
        }
        if (tc != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = tc.path("added_tokens_decoder").fields(); it.hasNext(); ) {
                var e = it.next();
                int id = Integer.parseInt(e.getKey());
                if (id >= vocabSize) continue;
                String t = e.getValue().path("content").asText();
                if (e.getValue().path("special").asBoolean(false) || looksSpecial(t)) {
                    types[id] = 3;
                } else {
                    t = t.replace('\u2581', ' ');
                    types[id] = 4;
                }
                scores[id] = -1000f;
                tokens[id] = t;
            }
        }
        m.put("tokenizer.ggml.model", GgufValue.ofString("llama"));
        m.put("tokenizer.ggml.pre", GgufValue.ofString("default"));
        m.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings(tokens)));
        m.put("tokenizer.ggml.scores", GgufValue.ofArray(GgufArray.ofFloats(scores)));
        m.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufArray.ofInt32(types)));
        return tokens.length;
    }

    /** get_vocab_base + get_vocab_base_pre for a byte-level BPE tokenizer.json. */
    private static void bpe(Path tj, JsonNode tok, int vocabSize, Map<String, GgufValue> m, List<String> warnings) throws IOException {
        ByteLevelBpe bpe;
        try {
            bpe = TokenizerJsonLoader.load(tj);
        } catch (IOException | RuntimeException e) {
            throw new IOException(tj + ": " + e.getMessage() + (Boolean.TRUE.equals(tok.path("model").path("byte_fallback").asBoolean(false))
                    ? " (a SentencePiece-style tokenizer.json: put its tokenizer.model beside it, which llama.cpp's converter also reads first)" : ""), e);
        }
        Map<Integer, String> byId = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = tok.path("model").path("vocab").fields(); it.hasNext(); ) {
            var e = it.next();
            byId.put(e.getValue().asInt(), e.getKey());
        }
        Map<Integer, JsonNode> added = new HashMap<>();
        for (JsonNode a : tok.path("added_tokens")) {
            added.put(a.path("id").asInt(), a);
            byId.put(a.path("id").asInt(), a.path("content").asText());
        }
        int maxId = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
        if (maxId >= vocabSize) {
            throw new IOException(tj + ": token id " + maxId + " (" + byId.get(maxId) + ") is outside config.json's vocab_size " + vocabSize);
        }
        String[] tokens = new String[vocabSize];
        int[] types = new int[vocabSize];
        for (int i = 0; i < vocabSize; i++) {
            String t = byId.get(i);
            if (t == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = 5; // UNUSED
            } else if (added.containsKey(i)) {
                JsonNode a = added.get(i);
                if (a.path("special").asBoolean(false) || looksSpecial(t)) {
                    types[i] = 3; // CONTROL
                } else {
                    t = t.replace('\u2581', ' ');
                    types[i] = 4; // USER_DEFINED
                }
                tokens[i] = t;
            } else {
                tokens[i] = t;
                types[i] = 1;
            }
        }
        m.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
        m.put("tokenizer.ggml.pre", GgufValue.ofString(preName(bpe, tj, warnings)));
        m.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings(tokens)));
        m.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufArray.ofInt32(types)));
        m.put("tokenizer.ggml.merges", GgufValue.ofArray(GgufArray.ofStrings(merges(tok, tj))));
    }

    /** gguf-py SpecialVocab: ids, add_* flags and the chat template ({@code nVocab} < 0: no id limit, as without n_vocab). */
    private static void specials(Path dir, JsonNode tok, ObjectNode tc, JsonNode config, int vocabSize, int nVocab, Map<String, GgufValue> m,
            List<String> warnings) throws IOException {
        // ---- special tokens (SpecialVocab._try_load_from_tokenizer_json / _from_config_json)
        Map<String, Integer> ids = new LinkedHashMap<>();
        Map<String, Boolean> add = new LinkedHashMap<>();
        List<String> typesOrder = new ArrayList<>(List.of("bos", "eos", "unk", "sep", "pad", "cls", "mask"));
        String bos = content(tc, "bos_token"), cls = content(tc, "cls_token"), eos = content(tc, "eos_token");
        if (bos == null && cls != null && tc != null) tc.put("bos_token", bos = cls);
        if (eos == null && content(tc, "sep_token") != null && tc != null) tc.put("eos_token", eos = content(tc, "sep_token"));
        JsonNode pp = tok.get("post_processor");
        if (pp != null && !pp.isNull()) {
            List<JsonNode> procs = new ArrayList<>();
            if (pp.has("processors")) pp.get("processors").forEach(procs::add); else procs.add(pp);
            for (JsonNode p : procs) {
                if (!"TemplateProcessing".equals(p.path("type").asText())) continue;
                JsonNode single = p.path("single");
                if (single.size() <= 1) continue;
                String first = single.get(0).path("SpecialToken").path("id").asText(null);
                if (first != null) {
                    if (tc == null) bos = first;
                    else if (!first.equals(bos) && !first.equals(cls)) {
                        if (bos == null) tc.put("bos_token", bos = first);
                        if (cls == null) tc.put("cls_token", cls = first);
                    }
                    add.put("bos", first.equals(bos) || first.equals(cls));
                }
                String last = single.get(single.size() - 1).path("SpecialToken").path("id").asText(null);
                if (last != null) {
                    if (tc == null) eos = last;
                    else if (!last.equals(eos)) {
                        if (eos != null) {
                            typesOrder.add("eot");
                            tc.put("eot_token", eos);
                        }
                        tc.put("eos_token", eos = last);
                    }
                    add.put("eos", last.equals(eos));
                }
                pairTemplate(p.path("pair"), first, last, eos, content(tc, "sep_token"), add, tc);
            }
        }
        Object chatTemplate = null;
        if (tc != null) {
            Path jinja = dir.resolve("chat_template.jinja");
            JsonNode ct = tc.get("chat_template");
            if (ct != null && ct.isTextual()) chatTemplate = ct.asText();
            else if (ct != null && ct.isArray()) warnings.add("tokenizer_config.json: chat_template is a list of named templates; only the one named 'default' is kept");
            if (ct != null && ct.isArray()) for (JsonNode n : ct) if ("default".equals(n.path("name").asText())) chatTemplate = n.path("template").asText();
            if (chatTemplate == null && Files.isRegularFile(jinja)) chatTemplate = Files.readString(jinja);
            for (String typ : typesOrder) {
                JsonNode a = tc.get("add_" + typ + "_token");
                if (a != null && a.isBoolean()) add.put(typ, a.asBoolean());
                String c = content(tc, typ + "_token");
                if (c == null) continue;
                for (JsonNode at : tok.path("added_tokens")) {
                    if (c.equals(at.path("content").asText())) {
                        if (nVocab < 0 || at.path("id").asInt() < nVocab) ids.putIfAbsent(typ, at.path("id").asInt());
                        break;
                    }
                }
            }
        }
        for (String typ : typesOrder) {
            JsonNode v = config.get(typ + "_token_id");
            if (v != null && v.isInt() && v.asInt() >= 0 && (nVocab < 0 || v.asInt() < nVocab)) ids.putIfAbsent(typ, v.asInt());
        }
        for (var e : ids.entrySet()) {
            if (e.getValue() >= vocabSize) throw new IOException(dir + ": " + e.getKey() + "_token id " + e.getValue() + " is outside vocab_size " + vocabSize);
            String key = ID_KEYS.get(e.getKey());
            if (key != null) m.put(key, GgufValue.ofUInt32(e.getValue()));
        }
        for (var e : add.entrySet()) {
            if (List.of("bos", "eos", "sep").contains(e.getKey())) m.put("tokenizer.ggml.add_" + e.getKey() + "_token", GgufValue.ofBool(e.getValue()));
        }
        if (chatTemplate != null) m.put("tokenizer.chat_template", GgufValue.ofString((String) chatTemplate));
    }

    /** SpecialVocab's reading of a TemplateProcessing pair template: whether a separator goes between the sequences (add_sep). */
    private static void pairTemplate(JsonNode pair, String first, String last, String eos, String sep, Map<String, Boolean> add, ObjectNode tc) {
        if (!pair.isArray() || pair.isEmpty()) return;
        List<JsonNode> t = new ArrayList<>();
        pair.forEach(t::add);
        int start = first != null && first.equals(t.get(0).path("SpecialToken").path("id").asText(null)) ? 1 : 0;
        int stop = last != null && last.equals(t.get(t.size() - 1).path("SpecialToken").path("id").asText(null)) ? t.size() - 1 : t.size();
        if (start >= stop) return;
        t = t.subList(start, stop);
        String a = t.get(0).path("Sequence").path("id").asText(null), b = t.get(t.size() - 1).path("Sequence").path("id").asText(null);
        if (!"A".equals(a) || !"B".equals(b) || t.size() <= 2) return;
        t = t.subList(1, t.size() - 1);
        boolean addSep = false;
        String entry = t.get(0).path("SpecialToken").path("id").asText(null);
        if (entry != null && (entry.equals(sep) || entry.equals(eos)) && last == null) addSep = true;
        if (t.size() == 2) {
            String e2 = t.get(1).path("SpecialToken").path("id").asText(null);
            if (e2 != null && (e2.equals(sep) || e2.equals(eos))) addSep = true;
        }
        add.put("sep", addSep);
        if (addSep && sep == null && tc != null && eos != null) tc.put("sep_token", eos);
    }

    /** gguf-py's keys (Keys.Tokenizer; "seperator" as spelled there); a type without a writer method is not written. */
    private static final Map<String, String> ID_KEYS = Map.of("bos", "tokenizer.ggml.bos_token_id", "eos", "tokenizer.ggml.eos_token_id",
            "unk", "tokenizer.ggml.unknown_token_id", "sep", "tokenizer.ggml.seperator_token_id", "pad", "tokenizer.ggml.padding_token_id",
            "mask", "tokenizer.ggml.mask_token_id", "eot", "tokenizer.ggml.eot_token_id");

    private static String content(JsonNode tc, String key) {
        if (tc == null) return null;
        JsonNode e = tc.get(key);
        if (e == null || e.isNull()) return null;
        if (e.isTextual()) return e.asText();
        if (e.isObject() && e.path("content").isTextual()) return e.path("content").asText();
        return null;
    }

    static boolean looksSpecial(String t) {
        return t.equals("<pad>") || t.equals("<mask>") || t.equals("<2mass>") || t.equals("[@BOS@]")
                || (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<\uFF5C") && t.endsWith("\uFF5C>"))
                || (t.startsWith("<unused") && t.endsWith(">"));
    }

    private static String[] merges(JsonNode tok, Path tj) throws IOException {
        JsonNode ms = tok.path("model").path("merges");
        String[] out = new String[ms.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode m = ms.get(i);
            if (m.isTextual()) out[i] = m.asText();
            else if (m.isArray() && m.size() == 2) out[i] = m.get(0).asText().replace(" ", "\u0120") + " " + m.get(1).asText().replace(" ", "\u0120");
            else throw new IOException(tj + ": model.merges[" + i + "] is " + m + ", neither \"a b\" nor [\"a\", \"b\"]");
        }
        return out;
    }

    /** get_vocab_base_pre: the hash of the check string's ids; then regex identity as a fallback. */
    static String preName(ByteLevelBpe bpe, Path tj, List<String> warnings) throws IOException {
        String hash = chkhsh(bpe.encode(CHKTXT, true, false));
        String name = knownHashes().get(hash);
        if (name != null) return name;
        for (String c : REGEX_PRES) {
            try {
                if (PreTokenizer.forGgufPre(c).regexes().equals(bpe.preTokenizer().regexes())) {
                    warnings.add(tj + ": the pre-tokenizer hash " + hash + " is not in llama.cpp's table (llama.cpp's converter would refuse it);"
                            + " its regexes are those of '" + c + "', written as tokenizer.ggml.pre");
                    return c;
                }
            } catch (IOException e) {
                // a name this jllm build does not know: try the next one
            }
        }
        throw new IOException(tj + ": the BPE pre-tokenizer was not recognized (chkhsh " + hash + ", regexes " + bpe.preTokenizer().regexes()
                + "); neither llama.cpp's table nor the known pre-tokenizer regexes match");
    }

    /** sha256 of Python's str(list_of_ints): "[1, 2, 3]". */
    static String chkhsh(int[] ids) {
        String s = Arrays.toString(ids);
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            StringBuilder b = new StringBuilder();
            for (byte x : d) b.append(String.format("%02x", x));
            return b.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> hashes;

    static synchronized Map<String, String> knownHashes() throws IOException {
        if (hashes == null) {
            Map<String, String> h = new HashMap<>();
            try (var in = HfVocab.class.getResourceAsStream("llamacpp-pre-hashes.tsv")) {
                if (in == null) throw new IOException("resource llamacpp-pre-hashes.tsv is missing from the jllm jar");
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("#") || line.isBlank()) continue;
                    String[] f = line.split("\t");
                    h.putIfAbsent(f[0], f[1]);
                }
            }
            hashes = h;
        }
        return hashes;
    }
}
