package dev.jllm.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What transformers adds to the Jinja environment of chat templates, plus the Python behaviours
 * Jinjava lacks: the {@code tojson} filter (json.dumps, not Jinja's HTML-safe one), {@code items},
 * the {@code iterable}/{@code sequence} tests that count strings in, and the globals
 * {@code raise_exception(msg)} and {@code strftime_now(fmt)}.
 */
final class PyGlobals {

    private PyGlobals() {}

    /** The clock strftime_now reads during one render (templates print "Today Date: ..."). */
    static final ScopedValue<Clock> CLOCK = ScopedValue.newInstance();

    /** Names of the global functions; also bound as variables so {@code strftime_now is defined} holds. */
    static final List<String> FUNCTION_NAMES = List.of("raise_exception", "strftime_now");

    /**
     * What a global function's name means as a variable. Calls go to the registered function (Jinjava
     * resolves calls apart from variables); this only makes {@code is defined} tests see the global, as
     * Llama 3.2's {@code {% if strftime_now is defined %}} expects.
     */
    record Builtin(String name) {
        @Override public String toString() { return "<built-in function " + name + ">"; }
    }

    static List<Filter> filters() {
        return List.of(new ToJson(), new Items());
    }

    static List<ExpTest> tests() {
        return List.of(test("iterable", PyValues::isIterable), test("sequence", PyValues::isSequence));
    }

    static List<ELFunctionDefinition> functions() {
        return List.of(
                new ELFunctionDefinition("", "raise_exception", PyGlobals.class, "raiseException", Object.class),
                new ELFunctionDefinition("", "strftime_now", PyGlobals.class, "strftimeNow", String.class));
    }

    /** {@code raise_exception('...')}: the template refuses the conversation with its own message. */
    static Object raiseException(Object message) {
        throw new TemplateRaised(PyValues.str(message));
    }

    static String strftimeNow(String format) {
        Clock clock = CLOCK.isBound() ? CLOCK.get() : Clock.systemDefaultZone();
        return strftime(LocalDateTime.now(clock), format);
    }

    /** Thrown by raise_exception; ChatTemplate turns it into a {@link ChatTemplateException} of kind RAISED. */
    static final class TemplateRaised extends RuntimeException {
        TemplateRaised(String message) { super(message, null, false, false); }
    }

    /** Python's datetime.strftime in the C locale, for the codes templates use. */
    static String strftime(LocalDateTime t, String format) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                out.append(c);
                continue;
            }
            char code = format.charAt(++i);
            switch (code) {
                case 'a' -> out.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US));
                case 'A' -> out.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US));
                case 'b', 'h' -> out.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US));
                case 'B' -> out.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.US));
                case 'd' -> out.append(two(t.getDayOfMonth()));
                case 'e' -> out.append(String.format("%2d", t.getDayOfMonth()));
                case 'm' -> out.append(two(t.getMonthValue()));
                case 'y' -> out.append(two(t.getYear() % 100));
                case 'Y' -> out.append(t.getYear());
                case 'H' -> out.append(two(t.getHour()));
                case 'I' -> out.append(two(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12));
                case 'M' -> out.append(two(t.getMinute()));
                case 'S' -> out.append(two(t.getSecond()));
                case 'p' -> out.append(t.getHour() < 12 ? "AM" : "PM");
                case 'j' -> out.append(String.format("%03d", t.getDayOfYear()));
                case 'f' -> out.append(String.format("%06d", t.getNano() / 1000));
                case 'w' -> out.append(t.getDayOfWeek().getValue() % 7);
                case 'F' -> out.append(strftime(t, "%Y-%m-%d"));
                case 'T' -> out.append(strftime(t, "%H:%M:%S"));
                case '%' -> out.append('%');
                default -> out.append('%').append(code);   // Python (glibc) leaves unknown codes as they are
            }
        }
        return out.toString();
    }

    private static String two(int v) {
        return v < 10 ? "0" + v : Integer.toString(v);
    }

    private static ExpTest test(String name, java.util.function.Predicate<Object> predicate) {
        return new ExpTest() {
            @Override public String getName() { return name; }
            @Override public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
                return predicate.test(var);
            }
        };
    }

    /** {@code x|tojson(indent=None, separators=None, sort_keys=False, ensure_ascii=False)}. */
    static final class ToJson implements Filter {
        @Override public String getName() { return "tojson"; }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
            Object separators = kwargs.get("separators");
            String item = null, key = null;
            if (separators instanceof List<?> pair && pair.size() == 2) {
                item = String.valueOf(pair.get(0));
                key = String.valueOf(pair.get(1));
            }
            boolean sortKeys = Boolean.TRUE.equals(kwargs.get("sort_keys"));
            boolean ensureAscii = Boolean.TRUE.equals(kwargs.get("ensure_ascii"));
            Integer indentWidth = indent == null ? null : PyValues.toInt(indent, "tojson indent");
            return new PyJson(indentWidth, item, key, sortKeys, ensureAscii).write(var);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return PyJson.dumps(var);
        }
    }

    /** {@code d|items}: the [key, value] pairs of a dict, like {@code d.items()}. */
    static final class Items implements Filter {
        @Override public String getName() { return "items"; }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (var == null) return List.of();
            return PyMethods.call(var, "items", new Object[0])
                    .orElseThrow(() -> new IllegalArgumentException("items needs a dict, got " + PyTypes.name(var)))
                    .value();
        }
    }
}
