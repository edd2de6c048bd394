package io.jistiod.it.load;

import com.google.protobuf.Any;
import java.util.function.Predicate;

/**
 * What one proxy waits for after a change: a resource of {@code typeUrl} named {@code name} (null:
 * any name, when the content alone identifies it) whose content passes {@code shows}.
 */
record Expectation(String typeUrl, String name, Predicate<Any> shows) {
  boolean metBy(String type, String resourceName, Any resource) {
    return typeUrl.equals(type)
        && (name == null || name.equals(resourceName))
        && shows.test(resource);
  }
}
