package dev.jllm.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.Context.Library;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.el.JinjavaProcessors;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.loader.ResourceLocator;
import com.hubspot.jinjava.loader.ResourceNotFoundException;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.tree.Node;
import java.nio.charset.Charset;
import java.time.Clock;
import java.util.Map;
import java.util.Set;

/**
 * The one Jinjava instance, set up to behave like the Jinja environment transformers renders chat
 * templates with, and locked down for templates that come from untrusted model files.
 *
 * <p>Jinja side: trim_blocks + lstrip_blocks (done by {@link SourceRewriter}), Jinjava's "trim notes and expressions" override so
 * {@code {{- x -}}} strips like Jinja (the other legacy overrides change more than we want). Python side: {@link PyGlobals}, {@link PyResolver}, {@link SourceRewriter}.
 *
 * <p>Safety side: no template loading ({@code include}/{@code import}/{@code extends} are disabled and
 * the resource locator refuses everything), expressions reach only dict keys, list items, loop
 * fields and allow-listed Python methods, and every render is bounded in output size, string,
 * list and dict sizes, range(), macro recursion and wall-clock time.
 */
final class JinjaEngine {

    /** Largest prompt a template may produce: 16 Mi chars (a 1M-token context is ~4-6 MB of text). */
    static final long MAX_OUTPUT_CHARS = 16L << 20;
    static final int MAX_COLLECTION = 100_000;
    static final long RENDER_TIME_LIMIT_NANOS = 2_000_000_000L;

    private static final ScopedValue<Long> DEADLINE = ScopedValue.newInstance();

    private static final Jinjava JINJAVA = create();

    private JinjaEngine() {}

    private static Jinjava create() {
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(false)     // trim_blocks and lstrip_blocks: SourceRewriter applies Jinja's rules
                .withLstripBlocks(false)
                .withKeepTrailingNewline(true)   // Jinjava strips it from the output; Jinja from the source (SourceRewriter)
                .withLegacyOverrides(LegacyOverrides.newBuilder().withUseTrimmingForNotesAndExpressions(true).withUseNaturalOperatorPrecedence(true).build())
                .withElResolver(PyResolver.chain())
                .withFailOnUnknownTokens(false)
                .withNestedInterpretationEnabled(false) // Jinja prints values as they are; Jinjava would re-render "{{ ... }}" inside a message
                .withMaxOutputSize(MAX_OUTPUT_CHARS)
                .withMaxStringLength(MAX_OUTPUT_CHARS)
                .withMaxListSize(MAX_COLLECTION)
                .withMaxMapSize(MAX_COLLECTION)
                .withRangeLimit(MAX_COLLECTION)
                .withEnableRecursiveMacroCalls(false)
                .withDisabled(Map.of(Library.TAG, Set.of("include", "import", "from", "extends", "block")))
                .withProcessors(JinjavaProcessors.newBuilder().withNodePreProcessor(JinjaEngine::checkDeadline).build())
                .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.setResourceLocator(new NoTemplates());
        for (Filter f : PyGlobals.filters()) jinjava.registerFilter(f);
        PyGlobals.tests().forEach(jinjava::registerExpTest);
        PyGlobals.functions().forEach(jinjava::registerFunction);
        return jinjava;
    }

    /** A compiled-and-checked template; rendering re-parses (cheap for a few KB and keeps renders independent). */
    static void validate(String rewrittenSource) {
        JinjavaInterpreter interpreter = JINJAVA.newInterpreter();
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            interpreter.parse(rewrittenSource);
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        for (TemplateError e : interpreter.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException(ChatTemplateException.Kind.SYNTAX, describe(e));
            }
        }
        // Jinja refuses unknown filters and tests when compiling; Jinjava would render them as nothing.
        for (SourceRewriter.NameUse use : SourceRewriter.filtersAndTests(rewrittenSource)) {
            boolean known = use.filter()
                    ? JINJAVA.getGlobalContext().getFilter(use.name()) != null
                    : JINJAVA.getGlobalContext().getExpTest(use.name()) != null;
            if (!known) {
                throw new ChatTemplateException(ChatTemplateException.Kind.SYNTAX, "chat template: line " + use.line()
                        + ": unknown " + (use.filter() ? "filter" : "test") + " '" + use.name() + "'");
            }
        }
    }

    static String render(String rewrittenSource, Map<String, Object> bindings, Clock clock) {
        long deadline = System.nanoTime() + RENDER_TIME_LIMIT_NANOS;
        RenderResult result;
        try {
            result = ScopedValue.where(PyGlobals.CLOCK, clock).where(DEADLINE, deadline)
                    .call(() -> JINJAVA.renderForResult(rewrittenSource, bindings));
        } catch (RuntimeException e) {
            throw translate(e);
        }
        boolean late = System.nanoTime() - deadline > 0;
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() != TemplateError.ErrorType.FATAL) continue;
            if (late) {   // Jinjava reports the aborted tag, not why: say why
                throw new ChatTemplateException(ChatTemplateException.Kind.LIMIT,
                        "chat template: " + new RenderTimeout().getMessage());
            }
            Throwable raised = find(e.getException(), PyGlobals.TemplateRaised.class);
            if (raised != null) {
                throw new ChatTemplateException(ChatTemplateException.Kind.RAISED, raised.getMessage());
            }
            Throwable limit = find(e.getException(), RenderTimeout.class);
            boolean overLimit = limit != null || switch (e.getReason()) {
                case OUTPUT_TOO_BIG, OVER_LIMIT, COLLECTION_TOO_BIG -> true;
                default -> false;
            };
            throw new ChatTemplateException(overLimit ? ChatTemplateException.Kind.LIMIT : ChatTemplateException.Kind.RENDER,
                    describe(e));
        }
        return result.getOutput();
    }

    private static ChatTemplateException translate(RuntimeException e) {
        Throwable raised = find(e, PyGlobals.TemplateRaised.class);
        if (raised != null) return new ChatTemplateException(ChatTemplateException.Kind.RAISED, raised.getMessage());
        if (find(e, RenderTimeout.class) != null) {
            return new ChatTemplateException(ChatTemplateException.Kind.LIMIT, "chat template: " + e.getMessage(), e);
        }
        return new ChatTemplateException(ChatTemplateException.Kind.RENDER, "chat template: " + e.getMessage(), e);
    }

    private static Throwable find(Throwable t, Class<? extends Throwable> type) {
        for (int depth = 0; t != null && depth < 20; t = t.getCause(), depth++) {
            if (type.isInstance(t)) return t;
        }
        return null;
    }

    /** "chat template: line 3: unknown filter 'foo'" */
    static String describe(TemplateError e) {
        String message = e.getMessage() == null ? e.getReason().toString() : e.getMessage();
        return e.getLineno() > 0 ? "chat template: line " + e.getLineno() + ": " + message : "chat template: " + message;
    }

    private static void checkDeadline(Node node, JinjavaInterpreter interpreter) {
        if (DEADLINE.isBound() && System.nanoTime() - DEADLINE.get() > 0) {
            throw new RenderTimeout();
        }
    }

    /** A render ran past {@link #RENDER_TIME_LIMIT_NANOS} (e.g. nested loops over large ranges). */
    static final class RenderTimeout extends RuntimeException {
        RenderTimeout() {
            super("render took longer than " + RENDER_TIME_LIMIT_NANOS / 1_000_000 + " ms", null, false, false);
        }
    }

    /** Chat templates are self-contained: {@code include}/{@code import} of other files is refused. */
    private static final class NoTemplates implements ResourceLocator {
        @Override
        public String getString(String fullName, Charset encoding, JinjavaInterpreter interpreter)
                throws ResourceNotFoundException {
            throw new ResourceNotFoundException("chat templates cannot load other templates ('" + fullName + "')");
        }
    }
}
