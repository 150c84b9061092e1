package dev.jllm.sft.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Synthetic preference pairs whose chosen answer has one learnable, visible property: it is
 * <em>cheerful</em>. Every answer is three short sentences about the prompt's character in words a
 * TinyStories model knows; each sentence carries one feeling word, cheerful ({@code happy},
 * {@code kind}, …) or gloomy ({@code sad}, {@code angry}, …). The chosen answer has k_c cheerful
 * sentences, the rejected one k_r &lt; k_c, and {@code margin} = k_c − k_r (1–3): a strength column
 * for rank correlation. Everything else (character, actions, sentence order) is drawn the same way
 * for both, so only the feelings tell them apart. Seeded: the same seed gives the same pairs.
 */
public final class PreferenceGenerator {
    /** One pair as text. */
    public record Pair(String prompt, String chosen, String rejected, int margin) {}

    static final String[] NAMES = {"Tim", "Lily", "Sam", "Mia", "Ben", "Sue", "Max", "Anna", "the cat", "the dog", "the bird", "the little bear"};
    static final String[] PROMPTS = {"Tell me about %s.", "What did %s do today?", "Write a short story about %s.", "How was the day of %s?",
        "Tell a story about %s."};
    static final String[] ACTIONS = {"played in the park", "ate a big cake", "went to the sea", "found a red ball", "met a friend",
        "saw a tree", "ran to the house", "had a nap", "drew a picture", "sang a song"};
    public static final String[] CHEERFUL = {"happy", "glad", "kind", "good", "nice", "smiled"};
    public static final String[] GLOOMY = {"sad", "angry", "bad", "mean", "scared", "cried"};

    private PreferenceGenerator() {}

    public static List<Pair> generate(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Pair> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String name = NAMES[r.nextInt(NAMES.length)];
            String prompt = String.format(PROMPTS[r.nextInt(PROMPTS.length)], name);
            int kc = 1 + r.nextInt(3), kr = r.nextInt(kc);
            String[] acts = new String[3];
            for (int s = 0; s < 3; s++) acts[s] = ACTIONS[r.nextInt(ACTIONS.length)];
            out.add(new Pair(prompt, answer(name, acts, kc, r), answer(name, acts, kr, r), kc - kr));
        }
        return out;
    }

    /** Three sentences, {@code cheerful} of them with a cheerful word, in a random order. */
    private static String answer(String name, String[] acts, int cheerful, SplittableRandom r) {
        boolean[] good = new boolean[3];
        for (int k = 0; k < cheerful; k++) {
            int s;
            do s = r.nextInt(3); while (good[s]);
            good[s] = true;
        }
        String subject = Character.toUpperCase(name.charAt(0)) + name.substring(1);
        StringBuilder b = new StringBuilder();
        for (int s = 0; s < 3; s++) {
            String feel = good[s] ? CHEERFUL[r.nextInt(CHEERFUL.length)] : GLOOMY[r.nextInt(GLOOMY.length)];
            String who = s == 0 ? subject : (name.startsWith("the ") ? "It" : "They");
            b.append(s == 0 ? "" : " ").append(who).append(' ').append(acts[s]).append(feel.endsWith("ed") ? " and " : " and was ").append(feel).append('.');
        }
        return b.toString();
    }

    /** Counts cheerful minus gloomy words: the property a reward model should learn. */
    public static int cheer(String text) {
        int n = 0;
        for (String w : text.toLowerCase(java.util.Locale.ROOT).split("[^a-z]+")) {
            for (String c : CHEERFUL) if (w.equals(c)) n++;
            for (String g : GLOOMY) if (w.equals(g)) n--;
        }
        return n;
    }
}
