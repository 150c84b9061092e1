/**
 * Synthetic SFT data: seeded multi-turn memory dialogues in English and Chinese
 * ({@link dev.jllm.sft.synth.DialogueGenerator}) whose facts are built from pools split between
 * training and held-out material ({@link dev.jllm.sft.synth.Split}), so an evaluation measures
 * copying across turns rather than recall of a learned distribution of values.
 */
package dev.jllm.sft.synth;
