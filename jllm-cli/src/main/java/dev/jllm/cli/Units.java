package dev.jllm.cli;

import java.util.Locale;

/** Formatting of byte counts and large numbers for humans. */
final class Units {
    private Units() {}

    /** 1536 → "1.50 KiB"; exact bytes are printed beside it where precision matters. */
    static String bytes(double b) {
        String sign = b < 0 ? "-" : "";
        b = Math.abs(b);
        String[] u = {"B", "KiB", "MiB", "GiB", "TiB"};
        int i = 0;
        while (b >= 1024 && i < u.length - 1) {
            b /= 1024;
            i++;
        }
        return sign + (i == 0 ? String.format(Locale.ROOT, "%.0f %s", b, u[i]) : String.format(Locale.ROOT, "%.2f %s", b, u[i]));
    }

    /** 1235814400 → "1.24 B"; 260032 → "260.03 K". */
    static String count(double n) {
        if (Math.abs(n) >= 1e9) return String.format(Locale.ROOT, "%.2f B", n / 1e9);
        if (Math.abs(n) >= 1e6) return String.format(Locale.ROOT, "%.2f M", n / 1e6);
        if (Math.abs(n) >= 1e3) return String.format(Locale.ROOT, "%.2f K", n / 1e3);
        return String.format(Locale.ROOT, "%.0f", n);
    }

    static String grouped(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
