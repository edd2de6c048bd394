package io.jistiod.pilot.model;

import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Which namespaces may see a VirtualService, DestinationRule or service: Istio's visibility values
 * ({@code *} everyone, {@code .} the object's own namespace, {@code ~} nobody, else namespace
 * names). The one place exportTo is interpreted; every visibility check goes through it.
 *
 * <p>An object without exportTo takes the mesh default for its kind (MeshConfig {@code
 * defaultVirtualServiceExportTo}, {@code defaultDestinationRuleExportTo}, {@code
 * defaultServiceExportTo}). Like istiod, only {@code .} and {@code *} count in a default, {@code .}
 * first; an empty default means everyone. In an object's own list {@code *} wins over everything
 * and {@code ~} over the names next to it.
 */
public final class ExportTo {
  public static final String PUBLIC = "*";
  public static final String PRIVATE = ".";
  public static final String NONE = "~";

  /** Visible to every namespace. */
  public static final ExportTo EVERYONE = new ExportTo(true, false, Set.of());

  /** Visible to no namespace at all. */
  public static final ExportTo NOBODY = new ExportTo(false, false, Set.of());

  /** Visible to its own namespace only. */
  public static final ExportTo OWN_NAMESPACE = new ExportTo(false, true, Set.of());

  private final boolean everyone;
  private final boolean ownNamespace;
  private final Set<String> namespaces;

  private ExportTo(boolean everyone, boolean ownNamespace, Set<String> namespaces) {
    this.everyone = everyone;
    this.ownNamespace = ownNamespace;
    this.namespaces = namespaces;
  }

  /**
   * The visibility of an object declaring {@code exportTo}, or, when it declares none, of the mesh
   * default {@code meshDefault}.
   */
  public static ExportTo of(Collection<String> exportTo, Collection<String> meshDefault) {
    Objects.requireNonNull(meshDefault, "meshDefault");
    if (exportTo.isEmpty()) {
      return ofDefault(meshDefault);
    }
    if (exportTo.contains(PUBLIC)) {
      return EVERYONE;
    }
    if (exportTo.contains(NONE)) {
      return NOBODY;
    }
    boolean own = exportTo.contains(PRIVATE);
    Set<String> named = new java.util.TreeSet<>(exportTo);
    named.remove(PRIVATE);
    if (named.isEmpty()) {
      return own ? OWN_NAMESPACE : NOBODY;
    }
    return new ExportTo(false, own, Set.copyOf(named));
  }

  /** The visibility of an object's own exportTo, everyone when it has none. */
  public static ExportTo of(Collection<String> exportTo) {
    return of(exportTo, List.of());
  }

  private static ExportTo ofDefault(Collection<String> meshDefault) {
    if (meshDefault.contains(PRIVATE)) {
      return OWN_NAMESPACE;
    }
    // istiod: "*" or an empty default make it public; names alone are not honoured in a default
    return EVERYONE;
  }

  /** Whether an object in {@code ownerNamespace} is visible to a viewer in {@code viewer}. */
  public boolean visibleTo(String ownerNamespace, String viewer) {
    return everyone
        || namespaces.contains(viewer)
        || (ownNamespace && ownerNamespace.equals(viewer));
  }

  /**
   * Whether it is exported to {@code viewer} from another namespace's point of view: publicly or by
   * name. istiod checks the rules a namespace exports this way, so {@code .} exports nothing.
   */
  public boolean exportedByNameTo(String viewer) {
    return everyone || namespaces.contains(viewer);
  }

  /** Whether every namespace sees it. */
  public boolean isPublic() {
    return everyone;
  }

  /**
   * Whether only the owner's namespace may see it ({@code .} or the owner's own name alone): what
   * istiod keeps out of the rules it exports to other namespaces.
   */
  public boolean onlyOwnNamespace(String ownerNamespace) {
    if (everyone) {
      return false;
    }
    if (namespaces.isEmpty()) {
      return ownNamespace;
    }
    return !ownNamespace && namespaces.equals(Set.of(ownerNamespace));
  }

  /** The named namespaces besides the owner's, which see it through an explicit export. */
  public Set<String> namespaces() {
    return namespaces;
  }

  /** Whether the owner's namespace sees it, by {@code .} or by its name. */
  public boolean includesOwnNamespace(String ownerNamespace) {
    return everyone || ownNamespace || namespaces.contains(ownerNamespace);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ExportTo e
        && everyone == e.everyone
        && ownNamespace == e.ownNamespace
        && namespaces.equals(e.namespaces);
  }

  @Override
  public int hashCode() {
    return Objects.hash(everyone, ownNamespace, namespaces);
  }

  @Override
  public String toString() {
    if (everyone) {
      return "[*]";
    }
    if (!ownNamespace && namespaces.isEmpty()) {
      return "[~]";
    }
    List<String> out = new java.util.ArrayList<>();
    if (ownNamespace) {
      out.add(PRIVATE);
    }
    out.addAll(new java.util.TreeSet<>(namespaces));
    return out.toString();
  }
}
