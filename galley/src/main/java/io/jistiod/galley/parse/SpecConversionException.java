package io.jistiod.galley.parse;

/** A spec that does not fit its proto message; {@link #path()} names the offending field. */
public final class SpecConversionException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String path;
  private final String reason;

  public SpecConversionException(String path, String reason) {
    super(path + ": " + reason);
    this.path = path;
    this.reason = reason;
  }

  public String path() {
    return path;
  }

  public String reason() {
    return reason;
  }
}
