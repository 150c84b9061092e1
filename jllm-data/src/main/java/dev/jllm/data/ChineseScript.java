package dev.jllm.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Simplified vs traditional Chinese from OpenCC's character dictionaries (resources
 * {@code opencc/TSCharacters.txt}, {@code opencc/STCharacters.txt}, Apache-2.0).
 *
 * <p>A character is <em>traditional-only</em> when OpenCC's traditional→simplified table maps it
 * to something other than itself (壯→壮, 餘→余) and it is not itself listed as a simplified
 * character in the simplified→traditional table. Characters the two scripts share (的, 我, 乾 in
 * 乾坤) are not traditional-only, so a text written in simplified Chinese has none, and a text in
 * traditional script has many: the <em>simplified ratio</em> is
 * {@code 1 - traditionalOnly / hanCharacters}. The seed's {@code [\u4e00-\u9fff]{5,}} check cannot
 * tell the scripts apart at all.
 */
public final class ChineseScript {
    private ChineseScript() {}

    private static final int[] TRADITIONAL_ONLY = load();

    /** Code points of the traditional-only characters, ascending. */
    static int[] traditionalOnly() {
        return TRADITIONAL_ONLY.clone();
    }

    /** Number of traditional-only characters known (3,198 for the bundled OpenCC tables). */
    public static int traditionalOnlyCount() {
        return TRADITIONAL_ONLY.length;
    }

    public static boolean isTraditionalOnly(int cp) {
        return (CharTable.flags(cp) & CharTable.TRAD_ONLY) != 0;
    }

    private static int[] load() {
        Map<Integer, int[]> ts = read("opencc/TSCharacters.txt");
        Map<Integer, int[]> st = read("opencc/STCharacters.txt");
        TreeSet<Integer> only = new TreeSet<>();
        for (Map.Entry<Integer, int[]> e : ts.entrySet()) {
            int k = e.getKey();
            boolean mapsToItself = false;
            for (int v : e.getValue()) mapsToItself |= v == k;
            if (!mapsToItself && !st.containsKey(k)) only.add(k);
        }
        return only.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Reads "key TAB value value ..." lines; keys and values of more than one character (none in the character tables) are skipped. */
    private static Map<Integer, int[]> read(String resource) {
        Map<Integer, int[]> map = new HashMap<>();
        try (InputStream in = ChineseScript.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing resource dev/jllm/data/" + resource);
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isEmpty() || line.startsWith("#")) continue;
                int tab = line.indexOf('\t');
                if (tab < 0) throw new IllegalStateException(resource + ":" + lineNo + ": no TAB between key and values");
                String key = line.substring(0, tab);
                if (key.codePointCount(0, key.length()) != 1) continue;
                String[] vals = line.substring(tab + 1).split(" ");
                int[] cps = new int[vals.length];
                for (int i = 0; i < vals.length; i++) cps[i] = vals[i].isEmpty() ? -1 : vals[i].codePointAt(0);
                map.put(key.codePointAt(0), cps);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return map;
    }
}
