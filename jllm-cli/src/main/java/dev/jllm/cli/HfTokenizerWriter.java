package dev.jllm.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.gguf.GgufArray;
import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufValue;
import dev.jllm.tokenizer.PreTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A GGUF "gpt2" (byte-level BPE) vocabulary as Hugging Face {@code tokenizer.json} +
 * {@code tokenizer_config.json}: model BPE (vocab of every token, merges), CONTROL and
 * USER_DEFINED tokens as added_tokens (special = control), the pre-tokenizer as a Split with
 * Hugging Face's own regex for the names whose form is known (llama-bpe, qwen2; gpt-2 is ByteLevel's
 * built-in regex), a ByteLevel decoder, and a TemplateProcessing post-processor that puts BOS in
 * front when the GGUF says add_bos. The inverse of {@link HfVocab}; a SentencePiece ("llama")
 * vocabulary is not written (the weights and config still are, with a warning).
 */
final class HfTokenizerWriter {
    private HfTokenizerWriter() {}

    static boolean write(GgufFile g, Path dir, Map<String, String> hfRegex, List<String> warnings) throws IOException {
        Map<String, GgufValue> md = g.metadata();
        String model = md.containsKey("tokenizer.ggml.model") ? g.getString("tokenizer.ggml.model") : null;
        if ("llama".equals(model)) return sentencePiece(g, dir);
        if (!"gpt2".equals(model)) {
            warnings.add(g.path() + ": tokenizer.ggml.model is " + model + "; only byte-level BPE (gpt2) and SentencePiece (llama) vocabularies"
                    + " are exported, so copy the original tokenizer files next to the exported weights");
            return false;
        }
        String pre = md.containsKey("tokenizer.ggml.pre") ? g.getString("tokenizer.ggml.pre") : "default";
        String[] tokens = g.getArray("tokenizer.ggml.tokens").strings();
        int[] types = md.containsKey("tokenizer.ggml.token_type") ? g.getArray("tokenizer.ggml.token_type").ints() : new int[tokens.length];
        GgufArray mergesArr = md.containsKey("tokenizer.ggml.merges") ? g.getArray("tokenizer.ggml.merges") : null;
        var J = HfCheckpoint.JSON;
        ObjectNode root = J.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < tokens.length; i++) {
            if (types[i] != 3 && types[i] != 4) continue;
            added.addObject().put("id", i).put("content", tokens[i]).put("single_word", false).put("lstrip", false).put("rstrip", false)
                    .put("normalized", types[i] == 4).put("special", types[i] == 3);
        }
        root.putNull("normalizer");
        ObjectNode preTok = root.putObject("pre_tokenizer");
        ObjectNode byteLevel = J.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true);
        if (pre.equals("gpt-2") || pre.equals("gpt2")) {
            preTok.setAll(byteLevel.put("use_regex", true));
        } else {
            List<String> regexes;
            String hf = hfRegex.get(pre);
            if (hf != null) {
                regexes = List.of(hf);
            } else {
                regexes = PreTokenizer.forGgufPre(pre).regexes();
                warnings.add("tokenizer.ggml.pre '" + pre + "': its regexes are written as jllm has them (Java syntax); check them against the original tokenizer.json");
            }
            preTok.put("type", "Sequence");
            ArrayNode seq = preTok.putArray("pretokenizers");
            for (String r : regexes) {
                ObjectNode split = seq.addObject().put("type", "Split");
                split.putObject("pattern").put("Regex", r);
                split.put("behavior", "Isolated").put("invert", false);
            }
            seq.add(byteLevel.put("use_regex", false));
        }
        boolean addBos = md.containsKey("tokenizer.ggml.add_bos_token") && Boolean.TRUE.equals(md.get("tokenizer.ggml.add_bos_token").value());
        int bos = md.containsKey("tokenizer.ggml.bos_token_id") ? (int) md.get("tokenizer.ggml.bos_token_id").asLong() : -1;
        int eos = md.containsKey("tokenizer.ggml.eos_token_id") ? (int) md.get("tokenizer.ggml.eos_token_id").asLong() : -1;
        int pad = md.containsKey("tokenizer.ggml.padding_token_id") ? (int) md.get("tokenizer.ggml.padding_token_id").asLong() : -1;
        if (addBos && bos >= 0) {
            ObjectNode pp = root.putObject("post_processor").put("type", "Sequence");
            ArrayNode procs = pp.putArray("processors");
            procs.addObject().put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", false).put("use_regex", true);
            ObjectNode tp = procs.addObject().put("type", "TemplateProcessing");
            ArrayNode single = tp.putArray("single");
            single.addObject().putObject("SpecialToken").put("id", tokens[bos]).put("type_id", 0);
            single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            ArrayNode pair = tp.putArray("pair");
            pair.addObject().putObject("SpecialToken").put("id", tokens[bos]).put("type_id", 0);
            pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            pair.addObject().putObject("SpecialToken").put("id", tokens[bos]).put("type_id", 1);
            pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
            ObjectNode st = tp.putObject("special_tokens").putObject(tokens[bos]);
            st.put("id", tokens[bos]);
            st.putArray("ids").add(bos);
            st.putArray("tokens").add(tokens[bos]);
        } else {
            root.putObject("post_processor").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", false).put("use_regex", true);
        }
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        ObjectNode m = root.putObject("model");
        m.put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix").putNull("end_of_word_suffix");
        m.put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", pre.equals("llama-bpe"));
        ObjectNode vocab = m.putObject("vocab");
        for (int i = 0; i < tokens.length; i++) if (types[i] != 5) vocab.put(tokens[i], i);
        ArrayNode merges = m.putArray("merges");
        if (mergesArr != null) for (String s : mergesArr.strings()) merges.add(s);
        J.writeValue(dir.resolve("tokenizer.json").toFile(), root);

        ObjectNode tc = J.createObjectNode();
        tc.put("add_bos_token", addBos);
        tc.put("add_eos_token", md.containsKey("tokenizer.ggml.add_eos_token") && Boolean.TRUE.equals(md.get("tokenizer.ggml.add_eos_token").value()));
        if (bos >= 0) tc.put("bos_token", tokens[bos]); else tc.putNull("bos_token");
        if (eos >= 0) tc.put("eos_token", tokens[eos]);
        if (pad >= 0) tc.put("pad_token", tokens[pad]);
        if (md.containsKey("tokenizer.chat_template")) tc.put("chat_template", g.getString("tokenizer.chat_template"));
        tc.put("clean_up_tokenization_spaces", false);
        tc.put("model_max_length", g.getLong(g.getString("general.architecture") + ".context_length", 2048));
        tc.put("tokenizer_class", "PreTrainedTokenizerFast");
        J.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer_config.json").toFile(), tc);
        return true;
    }

    /** A "llama" vocabulary as SentencePiece tokenizer.model + a LlamaTokenizer tokenizer_config.json (what Llama 2 checkpoints ship). */
    private static boolean sentencePiece(GgufFile g, Path dir) throws IOException {
        Map<String, GgufValue> md = g.metadata();
        String[] tokens = g.getArray("tokenizer.ggml.tokens").strings();
        float[] scores = md.containsKey("tokenizer.ggml.scores") ? g.getArray("tokenizer.ggml.scores").floats() : new float[tokens.length];
        int[] types = md.containsKey("tokenizer.ggml.token_type") ? g.getArray("tokenizer.ggml.token_type").ints() : new int[tokens.length];
        java.util.List<SentencePieceModel.Piece> pieces = new java.util.ArrayList<>();
        for (int i = 0; i < tokens.length; i++) pieces.add(new SentencePieceModel.Piece(tokens[i], scores[i], types[i] == 0 ? 1 : types[i]));
        boolean dummy = !md.containsKey("tokenizer.ggml.add_space_prefix") || Boolean.TRUE.equals(md.get("tokenizer.ggml.add_space_prefix").value());
        int unk = id(md, "tokenizer.ggml.unknown_token_id"), bos = id(md, "tokenizer.ggml.bos_token_id"), eos = id(md, "tokenizer.ggml.eos_token_id");
        int pad = id(md, "tokenizer.ggml.padding_token_id");
        java.nio.file.Files.write(dir.resolve("tokenizer.model"), new SentencePieceModel(pieces, dummy).write(unk, bos, eos, pad));
        var J = HfCheckpoint.JSON;
        ObjectNode tc = J.createObjectNode();
        tc.put("add_bos_token", !md.containsKey("tokenizer.ggml.add_bos_token") || Boolean.TRUE.equals(md.get("tokenizer.ggml.add_bos_token").value()));
        tc.put("add_eos_token", md.containsKey("tokenizer.ggml.add_eos_token") && Boolean.TRUE.equals(md.get("tokenizer.ggml.add_eos_token").value()));
        if (bos >= 0) tc.put("bos_token", tokens[bos]);
        if (eos >= 0) tc.put("eos_token", tokens[eos]);
        if (unk >= 0) tc.put("unk_token", tokens[unk]);
        if (pad >= 0) tc.put("pad_token", tokens[pad]);
        if (md.containsKey("tokenizer.chat_template")) tc.put("chat_template", g.getString("tokenizer.chat_template"));
        tc.put("legacy", false);
        tc.put("add_prefix_space", dummy);
        tc.put("model_max_length", g.getLong(g.getString("general.architecture") + ".context_length", 2048));
        tc.put("tokenizer_class", "LlamaTokenizer");
        J.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer_config.json").toFile(), tc);
        return true;
    }

    private static int id(Map<String, GgufValue> md, String key) {
        return md.containsKey(key) ? (int) md.get(key).asLong() : -1;
    }
}
