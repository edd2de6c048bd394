package io.jistiod.injector.template;

import java.util.AbstractMap;
import java.util.Map;
import java.util.Set;

/**
 * A map whose Go element type is known (e.g. {@code map[string]string} for labels), so that {@code
 * index} of a missing key gives that type's zero value ("") instead of nil.
 */
final class TypedMap extends AbstractMap<Object, Object> {
  private final Map<Object, Object> delegate;
  private final Object elemZero;

  TypedMap(Map<Object, Object> delegate, Object elemZero) {
    this.delegate = delegate;
    this.elemZero = elemZero;
  }

  Object elemZero() {
    return elemZero;
  }

  @Override
  public Set<Entry<Object, Object>> entrySet() {
    return delegate.entrySet();
  }

  @Override
  public Object get(Object key) {
    return delegate.get(key);
  }

  @Override
  public boolean containsKey(Object key) {
    return delegate.containsKey(key);
  }

  @Override
  public Object put(Object key, Object value) {
    return delegate.put(key, value);
  }
}
