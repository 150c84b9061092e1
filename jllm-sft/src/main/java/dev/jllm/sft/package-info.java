/**
 * Supervised fine-tuning data, from files to the trainer's rows.
 *
 * <ol>
 * <li>{@link dev.jllm.sft.SftReader}: JSONL or JSON-array files → {@link dev.jllm.sft.Conversation}s; OpenAI
 *     {@code messages}, Alpaca and ShareGPT records ({@link dev.jllm.sft.Format}), {@code {{name}}} placeholders,
 *     every bad record an {@link dev.jllm.sft.SftException} with file and line (or counted when skipping).
 * <li>{@link dev.jllm.sft.SftRenderer}: the model's chat template finds each assistant answer by rendering
 *     prefixes; the sample is tokenized piece by piece so the loss mask (answers and their end-of-turn token)
 *     is exact.
 * <li>{@link dev.jllm.sft.SftData}: sources of a {@link dev.jllm.sft.MixSpec} prepared under an
 *     {@link dev.jllm.sft.SftConfig} (row length, packing, overflow, held-out split), then
 *     {@link dev.jllm.sft.SftBatch}es as a pure function of (seed, micro-batch): inputs, targets (-100 where no
 *     loss), positions, segments, source of every token.
 * </ol>
 */
package dev.jllm.sft;
