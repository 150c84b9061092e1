package dev.jllm.chat;

import com.hubspot.jinjava.el.TypeConvertingMapELResolver;
import com.hubspot.jinjava.el.ext.JinjavaBeanELResolver;
import com.hubspot.jinjava.el.ext.JinjavaListELResolver;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.util.ForLoop;
import java.beans.FeatureDescriptor;
import java.util.Collections;
import java.util.Iterator;
import java.util.Optional;
import jinjava.javax.el.ArrayELResolver;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;
import jinjava.javax.el.MethodNotFoundException;

/**
 * How template expressions reach into values: dict keys, list items, {@code loop.*}, and the
 * allow-listed Python methods of {@link PyMethods}. Nothing else.
 *
 * <p>Jinjava's default resolver ends in a bean resolver that calls any public getter or method of
 * any object (minus a short deny-list). Chat templates come from downloaded model files, so this
 * resolver only lets bean access through for Jinjava's own {@code loop} object.
 */
final class PyResolver extends ELResolver {

    /** The whole chain, in lookup order. */
    static ELResolver chain() {
        CompositeELResolver chain = new CompositeELResolver();
        chain.add(new PyResolver());
        chain.add(new ArrayELResolver(true));
        chain.add(new JinjavaListELResolver(true));
        chain.add(new TypeConvertingMapELResolver(true));
        chain.add(new LoopOnly());
        return chain;
    }

    private PyResolver() {}

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        // Python string indexing: s[0], s[-1] (one UTF-16 unit; fine for the ASCII templates test)
        if (base instanceof String s && property instanceof Number n) {
            int i = n.intValue() < 0 ? s.length() + n.intValue() : n.intValue();
            context.setPropertyResolved(true);
            return i >= 0 && i < s.length() ? String.valueOf(s.charAt(i)) : null;
        }
        return null;
    }

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (base == null || method == null) return null;
        Optional<PyMethods.Found> result = PyMethods.call(base, method.toString(), params);
        if (result.isPresent()) {
            context.setPropertyResolved(true);
            return result.get().value();
        }
        return null;
    }

    @Override public Class<?> getType(ELContext context, Object base, Object property) { return null; }
    @Override public void setValue(ELContext context, Object base, Object property, Object value) {}
    @Override public boolean isReadOnly(ELContext context, Object base, Object property) { return true; }
    @Override public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) { return Collections.emptyIterator(); }
    @Override public Class<?> getCommonPropertyType(ELContext context, Object base) { return null; }

    /**
     * Bean access restricted to Jinjava's own machinery: the for-loop object ({@code loop.index0},
     * {@code loop.cycle(..)}) and filters and tests, which Jinjava's EL calls as methods ({@code x|trim}
     * is {@code filter:trim.filter(x, ...)}).
     */
    private static final class LoopOnly extends JinjavaBeanELResolver {
        LoopOnly() { super(true); }

        @Override
        public Object getValue(ELContext context, Object base, Object property) {
            return isMachinery(base) ? super.getValue(context, base, property) : null;
        }

        @Override
        public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
            if (isMachinery(base)) {
                return super.invoke(context, base, method, paramTypes, params);
            }
            if (base == null) return null;
            throw new MethodNotFoundException("unknown method '" + method + "' of " + PyTypes.name(base));
        }

        private static boolean isMachinery(Object base) {
            return base instanceof ForLoop || base instanceof Filter || base instanceof ExpTest;
        }
    }
}
