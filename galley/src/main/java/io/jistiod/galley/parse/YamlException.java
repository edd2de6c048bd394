package io.jistiod.galley.parse;

/** A YAML document Kubernetes would not read either; the message says why (and where, if known). */
public final class YamlException extends Exception {
  private static final long serialVersionUID = 1L;

  public YamlException(String message) {
    super(message);
  }
}
