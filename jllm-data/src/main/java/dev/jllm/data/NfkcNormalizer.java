package dev.jllm.data;

import com.ibm.icu.text.Normalizer2;

/**
 * Unicode NFKC (ICU4J). Off in the Chinese presets: NFKC also rewrites full-width Chinese
 * punctuation (，→, ！→!) and changes character counts; {@link FullwidthFolder} is the narrow
 * alternative. The quick check returns the same String for text already in NFKC (most ASCII and
 * most Chinese text) without building a new one.
 */
public final class NfkcNormalizer implements TextNormalizer {
    private static final Normalizer2 NFKC = Normalizer2.getNFKCInstance();

    @Override
    public String name() {
        return "nfkc";
    }

    @Override
    public String apply(String s) {
        int ok = NFKC.spanQuickCheckYes(s);
        if (ok == s.length()) return s;
        StringBuilder b = new StringBuilder(s.length());
        b.append(s, 0, ok);
        return NFKC.normalizeSecondAndAppend(b, s.subSequence(ok, s.length())).toString();
    }
}
