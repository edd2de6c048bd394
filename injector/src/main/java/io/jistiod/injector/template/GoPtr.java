package io.jistiod.injector.template;

/**
 * A non-nil pointer to a scalar, e.g. a set {@code *int64 RunAsUser}: true even when it points to
 * zero, printed as what it points to, not comparable with {@code eq} to a plain value.
 */
record GoPtr(Object value, String type) {}
