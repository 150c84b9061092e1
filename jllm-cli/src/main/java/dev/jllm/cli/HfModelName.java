package dev.jllm.cli;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code general.name/basename/finetune/version/organization/size_label} that gguf-py's
 * {@code Metadata.get_model_id_components} and {@code id_to_title} derive from a model id
 * ("org/Name-Version-Size-Finetune", config.json's {@code _name_or_path} or the directory name),
 * so jllm's GGUF carries the same authorship keys as llama.cpp's converter writes when there is no
 * model card. (Model cards — README.md front matter — are not read: their keys would come on top.)
 */
record HfModelName(String name, String organization, String basename, String finetune, String version, String sizeLabel) {

    private static final Pattern VERSION = Pattern.compile("(?i)(v|iter)?\\d+([.]\\d+)*");
    private static final Pattern TYPE = Pattern.compile("(?i)i?q\\d(_\\w)*|b?fp?(16|32)");
    private static final Pattern SIZE = Pattern.compile("(?i)(([A]|\\d+[x])?\\d+([._]\\d+)?[KMBT][\\d]?|small|mini|medium|large|x?xl)");
    private static final Pattern FINETUNE = Pattern.compile("(?i)chat|instruct|vision|lora");
    private static final Pattern TITLE_KEEP = Pattern.compile("^(v\\d+(?:\\.\\d+)*|\\d.*)$");

    /** _name_or_path first (when it has at most one '/'), then the directory name fills what is still missing. */
    static HfModelName of(String nameOrPath, String dirName, long totalParams) {
        HfModelName a = nameOrPath != null && nameOrPath.chars().filter(c -> c == '/').count() <= 1 ? components(nameOrPath, totalParams) : null;
        HfModelName b = components(dirName, totalParams);
        if (a == null) return b;
        return new HfModelName(or(a.name, b.name), or(a.organization, b.organization), or(a.basename, b.basename), or(a.finetune, b.finetune),
                or(a.version, b.version), or(a.sizeLabel, b.sizeLabel));
    }

    private static String or(String x, String y) {
        return x != null ? x : y;
    }

    static HfModelName components(String id, long totalParams) {
        if (id == null) return new HfModelName(null, null, null, null, null, null);
        if (id.contains(" ")) return new HfModelName(title(id), null, null, null, null, null);
        String org = null, full = id;
        int slash = id.indexOf('/');
        if (slash >= 0) {
            org = id.substring(0, slash);
            full = id.substring(slash + 1);
        }
        if (org != null && !org.isEmpty() && org.charAt(0) == '.') org = null;
        List<String> parts = new ArrayList<>();
        for (String p : full.split("-", -1)) if (!p.isEmpty()) parts.add(p);
        List<Set<String>> types = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            Set<String> t = new LinkedHashSet<>();
            types.add(t);
            String part = parts.get(i);
            if (VERSION.matcher(part).matches()) {
                t.add("version");
            } else if (TYPE.matcher(part).matches()) {
                t.add("type");
                parts.set(i, part.toUpperCase(Locale.ROOT));
            } else if (i > 0 && SIZE.matcher(part).matches()) {
                part = part.replace('_', '.');
                if (Character.isDigit(part.charAt(part.length() - 1))) {
                    part = part.substring(0, part.length() - 2) + "." + part.charAt(part.length() - 1) + part.charAt(part.length() - 2);
                }
                if (part.length() > 1 && Character.isDigit(part.charAt(part.length() - 2)) && "kmbt".indexOf(part.charAt(part.length() - 1)) >= 0) {
                    part = part.substring(0, part.length() - 1) + Character.toUpperCase(part.charAt(part.length() - 1));
                }
                if (totalParams != 0) {
                    try {
                        double label = Double.parseDouble(part.substring(0, part.length() - 1)) * Math.pow(1000, " KMBT".indexOf(part.charAt(part.length() - 1)));
                        if ((totalParams < 0 && label < Math.abs(totalParams) / 8) || (totalParams > 0 && Math.abs(label - totalParams) > 7 * totalParams / 8)) {
                            t.add("finetune");
                            part = part.substring(0, part.length() - 1) + Character.toLowerCase(part.charAt(part.length() - 1));
                        }
                    } catch (NumberFormatException e) {
                        // "small", "large": not a count
                    }
                }
                if (t.isEmpty()) t.add("size_label");
                parts.set(i, part);
            } else if (i > 0 && FINETUNE.matcher(part).matches()) {
                t.add("finetune");
            }
        }
        boolean digitsInSize = false;
        for (int i = 0; i < parts.size(); i++) if (types.get(i).contains("size_label") && parts.get(i).chars().anyMatch(Character::isDigit)) digitsInSize = true;
        if (digitsInSize) {
            for (int i = 0; i < parts.size(); i++) {
                if (types.get(i).contains("size_label") && parts.get(i).chars().allMatch(Character::isLetter)) types.get(i).remove("size_label");
            }
        }
        boolean atStart = true;
        for (int i = 0; i < parts.size(); i++) {
            Set<String> t = types.get(i);
            if (atStart && ((t.isEmpty() && Character.isLetter(parts.get(i).charAt(0))) || t.contains("version"))) {
                t.add("basename");
            } else {
                atStart = false;
                if (t.isEmpty()) t.add("finetune");
            }
        }
        for (int i = parts.size() - 1; i >= 0; i--) {
            Set<String> t = types.get(i);
            if (t.contains("basename") && t.size() > 1) t.remove("basename");
            else break;
        }
        String basename = join(parts, types, "basename", null), size = join(parts, types, "size_label", null), finetune = join(parts, types, "finetune", null);
        String version = join(parts, types, "version", "basename");
        if (size == null && finetune == null && version == null) basename = null;
        return new HfModelName(title(full), org == null ? null : title(org), basename, finetune, version, size);
    }

    private static String join(List<String> parts, List<Set<String>> types, String want, String not) {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        List<String> all = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            if (types.get(i).contains(want) && (not == null || !types.get(i).contains(not))) {
                all.add(parts.get(i));
                out.add(parts.get(i));
            }
        }
        List<String> use = want.equals("size_label") ? new ArrayList<>(out) : all; // size labels deduplicated (dict.fromkeys)
        return use.isEmpty() ? null : String.join("-", use);
    }

    /** id_to_title: words of a lower-case id title-cased (as Python's str.title), versions and numbers kept. */
    static String title(String s) {
        List<String> words = new ArrayList<>();
        for (String w : s.strip().replace('-', ' ').split("\\s+")) {
            if (w.isEmpty()) continue;
            boolean lower = w.chars().anyMatch(Character::isLetter) && w.equals(w.toLowerCase(Locale.ROOT));
            words.add(lower && !TITLE_KEEP.matcher(w).matches() ? pyTitle(w) : w);
        }
        return String.join(" ", words);
    }

    private static String pyTitle(String w) {
        StringBuilder b = new StringBuilder(w.length());
        boolean prevCased = false;
        for (int i = 0; i < w.length(); i++) {
            char c = w.charAt(i);
            b.append(prevCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevCased = Character.isLetter(c);
        }
        return b.toString();
    }
}
