package dev.jllm.data;

/**
 * Full-width ASCII → half-width: Ａ→A, ９→9, and the ideographic space U+3000 → ' '. Full-width
 * punctuation (，。！？：；（）) is kept unless {@code punctuation} is set: it is the normal
 * punctuation of Chinese text, and C4's terminal-punctuation rule knows 。！？.
 * NFKC does all of this and more (it also folds ，→, and ㈱→(株)); this step is the narrow choice.
 */
public final class FullwidthFolder implements TextNormalizer {
    private final boolean punctuation;

    public FullwidthFolder(boolean punctuation) {
        this.punctuation = punctuation;
    }

    @Override
    public String name() {
        return "fullwidth";
    }

    private boolean folds(char c) {
        if (c == 0x3000) return true;
        if (c < 0xFF01 || c > 0xFF5E) return false;
        char a = (char) (c - 0xFEE0);
        return punctuation || (a >= '0' && a <= '9') || (a >= 'A' && a <= 'Z') || (a >= 'a' && a <= 'z');
    }

    @Override
    public String apply(String s) {
        int n = s.length();
        int i = 0;
        while (i < n && !folds(s.charAt(i))) i++;
        if (i == n) return s;
        char[] a = s.toCharArray();
        for (; i < n; i++) {
            char c = a[i];
            if (folds(c)) a[i] = c == 0x3000 ? ' ' : (char) (c - 0xFEE0);
        }
        return new String(a);
    }
}
