package io.jistiod.pilot.model;

/** A node id or metadata istiod cannot accept; the ADS stream answers INVALID_ARGUMENT. */
public final class NodeParseException extends Exception {
  private static final long serialVersionUID = 1L;

  public NodeParseException(String message) {
    super(message);
  }
}
