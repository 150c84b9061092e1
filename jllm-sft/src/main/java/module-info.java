/**
 * Supervised fine-tuning data: records (OpenAI messages, Alpaca, ShareGPT; JSONL or JSON arrays) →
 * the model's chat template → token rows with per-token loss masks, packed or padded, mixed from
 * weighted sources by a pure function of (seed, micro-batch), with a held-out split.
 */
module dev.jllm.sft {
    requires transitive dev.jllm.chat;
    requires transitive dev.jllm.tokenizer;
    requires com.fasterxml.jackson.databind;
    exports dev.jllm.sft;
    exports dev.jllm.sft.synth;
}
