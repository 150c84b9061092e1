/**
 * Grammar-constrained decoding: {@link dev.jllm.grammar.Gbnf} parses llama.cpp's grammar format,
 * {@link dev.jllm.grammar.JsonSchemaGrammar} compiles a JSON Schema to it, and
 * {@link dev.jllm.grammar.GrammarMask} is the engine's {@link dev.jllm.engine.TokenMask} that allows
 * only tokens whose bytes continue the grammar. No third-party runtime dependencies.
 */
module dev.jllm.grammar {
    requires transitive dev.jllm.engine;
    requires transitive dev.jllm.tokenizer;
    exports dev.jllm.grammar;
}
