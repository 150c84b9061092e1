package dev.jllm.cli;

import dev.jllm.engine.Generation;
import dev.jllm.engine.GenerationEvent;
import dev.jllm.engine.GenerationRequest;
import dev.jllm.engine.LoadedModel;
import dev.jllm.engine.Scheduler;
import dev.jllm.engine.SchedulerMetrics;
import dev.jllm.model.LoraWeights;
import dev.jllm.model.SamplingParams;
import dev.jllm.train.LoraParams;
import dev.jllm.train.pref.PpoTrainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * PPO's rollouts through jllm's own engine: one {@link Scheduler} over the base weights, every
 * prompt of a step submitted at once ({@link Scheduler#submitAll}: the same batches on every run) with the policy's current adapter as a
 * per-request LoRA (a new {@link LoraWeights} per step, so no KV is ever reused across updates), sampled
 * by the scheduler's sampler at the given temperature without top-k/top-p (on-policy samples).
 */
final class EngineRollouts implements PpoTrainer.Rollouts, AutoCloseable {
    private final LoadedModel model;
    private final Scheduler scheduler;
    private final float temperature;
    private final int maxTokens;
    private int step;

    EngineRollouts(LoadedModel model, int batch, int longestPrompt, int maxTokens, float temperature) {
        this.model = model;
        this.temperature = temperature;
        this.maxTokens = maxTokens;
        int blocksPerSeq = (longestPrompt + maxTokens) / Scheduler.BLOCK_TOKENS + 2;
        this.scheduler = new Scheduler(model.weights, model.matmul, model.tokenizer, batch * blocksPerSeq + 8,
                new Scheduler.Limits(batch, batch, 256, 0), SchedulerMetrics.NONE);
    }

    @Override
    public List<int[]> sample(List<int[]> prompts, LoraParams policy, long seed) {
        LoraWeights adapter = new LoraWeights("ppo-step-" + (++step), policy.toAdapter(), model.weights.config, 1f);
        List<Generation> gens = new ArrayList<>();
        try {
            List<GenerationRequest> rs = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                SamplingParams sp = new SamplingParams(temperature, 0, 1f, 0f, 1f, 0f, 0f, 64, Map.of(), seed * 7919 + i, maxTokens, List.of(), false);
                rs.add(new GenerationRequest(prompts.get(i), sp, null, false, null, adapter));
            }
            // all at once: the steps they share (and so the sums' order) do not depend on how fast they were submitted
            gens.addAll(scheduler.submitAll(rs));
            List<int[]> out = new ArrayList<>();
            for (int i = 0; i < gens.size(); i++) {
                GenerationEvent.Finished f = finished(gens.get(i));
                int p = prompts.get(i).length;
                int[] resp = Arrays.copyOfRange(f.sequence(), p, f.sequence().length);
                // the sequence leaves out a final end-of-generation token: put back the one sampled (the policy learns to stop)
                if (f.endToken() >= 0) {
                    resp = Arrays.copyOf(resp, resp.length + 1);
                    resp[resp.length - 1] = f.endToken();
                }
                if (resp.length == 0) throw new IllegalStateException("the engine generated nothing for prompt " + i + " (max tokens " + maxTokens + ")");
                out.add(resp);
            }
            return out;
        } catch (Exception e) {
            throw new IllegalStateException("rollout failed: " + e.getMessage(), e);
        } finally {
            for (Generation g : gens) g.close();
        }
    }

    private static GenerationEvent.Finished finished(Generation g) throws InterruptedException {
        while (true) {
            GenerationEvent e = g.poll(300, TimeUnit.SECONDS);
            if (e == null) throw new IllegalStateException("no event from the engine within 300 s");
            if (e instanceof GenerationEvent.Finished f) return f;
            if (e instanceof GenerationEvent.Failed f) throw new IllegalStateException(f.message());
        }
    }

    @Override
    public void close() {
        scheduler.close();
    }
}
