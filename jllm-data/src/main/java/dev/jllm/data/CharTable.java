package dev.jllm.data;

import com.ibm.icu.lang.UCharacter;
import com.ibm.icu.lang.UProperty;
import com.ibm.icu.lang.UScript;

/**
 * One table of per-code-point flags, computed once from ICU's Unicode properties, so that the hot
 * scan in {@link TextStats} is an array load per character instead of several property look-ups.
 * Covers U+0000..U+3FFFF (BMP, SMP with the emoji, SIP/TIP with the rare Han extensions); code
 * points above that (tags, private use) are looked up directly.
 */
final class CharTable {
    private CharTable() {}

    static final int LIMIT = 0x40000;

    /** Unified or compatibility ideograph (Script=Han). */
    static final char HAN = 1;
    /** Traditional-only Han character per OpenCC (see {@link ChineseScript}). */
    static final char TRAD_ONLY = 1 << 1;
    /** Han, kana, Hangul, Bopomofo, CJK symbols/punctuation and full-width forms. */
    static final char CJK = 1 << 2;
    /** Emoji_Presentation=Yes: shown as emoji on its own (includes skin-tone modifiers, most of U+1F300..). */
    static final char EMOJI_PRESENTATION = 1 << 3;
    /** Emoji=Yes or Extended_Pictographic but text presentation by default (e.g. ☺ ❤ © ™ 〰): emoji only with U+FE0F. */
    static final char EMOJI_TEXT = 1 << 4;
    /** Emoji_Modifier (skin tones U+1F3FB..U+1F3FF). */
    static final char EMOJI_MODIFIER = 1 << 5;
    /** Regional indicator letters U+1F1E6..U+1F1FF: pairs make flags. */
    static final char REGIONAL_INDICATOR = 1 << 6;
    /** Letter (any script). */
    static final char LETTER = 1 << 7;
    /** Decimal digit. */
    static final char DIGIT = 1 << 8;
    /** White space (Unicode White_Space). */
    static final char SPACE = 1 << 9;
    /** Hiragana or Katakana. */
    static final char KANA = 1 << 10;
    /** Hangul. */
    static final char HANGUL = 1 << 11;
    /** Cyrillic letter. */
    static final char CYRILLIC = 1 << 12;
    /** Arabic letter. */
    static final char ARABIC = 1 << 13;
    /** Latin letter. */
    static final char LATIN = 1 << 14;

    private static final char[] FLAGS = build();

    static int flags(int cp) {
        if (cp < LIMIT) return FLAGS[cp];
        return 0;
    }

    private static char[] build() {
        char[] f = new char[LIMIT];
        for (int cp = 0; cp < LIMIT; cp++) {
            int v = 0;
            int script = UScript.getScript(cp);
            boolean letter = UCharacter.isLetter(cp);
            if (script == UScript.HAN && (letter || UCharacter.hasBinaryProperty(cp, UProperty.IDEOGRAPHIC))) v |= HAN | CJK;
            if (script == UScript.HIRAGANA || script == UScript.KATAKANA) v |= KANA | CJK;
            if (script == UScript.HANGUL) v |= HANGUL | CJK;
            if (script == UScript.BOPOMOFO) v |= CJK;
            if ((cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF00 && cp <= 0xFFEF)) v |= CJK;
            if (letter) {
                v |= LETTER;
                if (script == UScript.CYRILLIC) v |= CYRILLIC;
                else if (script == UScript.ARABIC) v |= ARABIC;
                else if (script == UScript.LATIN) v |= LATIN;
            }
            if (UCharacter.isDigit(cp)) v |= DIGIT;
            if (UCharacter.isUWhiteSpace(cp)) v |= SPACE;
            if (UCharacter.hasBinaryProperty(cp, UProperty.REGIONAL_INDICATOR)) v |= REGIONAL_INDICATOR;
            else if (UCharacter.hasBinaryProperty(cp, UProperty.EMOJI_PRESENTATION)) v |= EMOJI_PRESENTATION;
            else if (cp > 0x7F && (UCharacter.hasBinaryProperty(cp, UProperty.EMOJI)
                    || UCharacter.hasBinaryProperty(cp, UProperty.EXTENDED_PICTOGRAPHIC))) {
                // ASCII digits, '#' and '*' are Emoji=Yes only as keycap bases; handled by EmojiDetector.
                v |= EMOJI_TEXT;
            }
            if (UCharacter.hasBinaryProperty(cp, UProperty.EMOJI_MODIFIER)) v |= EMOJI_MODIFIER;
            f[cp] = (char) v;
        }
        for (int cp : ChineseScript.traditionalOnly()) {
            if (cp < LIMIT) f[cp] |= TRAD_ONLY;
        }
        return f;
    }
}
