package io.jistiod.it.agreement;

/** Accepted or rejected, with the first line of the reason (empty when accepted). */
record Verdict(boolean accepted, String reason) {
  static Verdict accept() {
    return new Verdict(true, "");
  }

  static Verdict reject(String reason) {
    String r = reason.strip().replaceAll("\\s+", " ");
    return new Verdict(false, r.length() > 300 ? r.substring(0, 300) + "..." : r);
  }

  String word() {
    return accepted ? "accept" : "reject";
  }
}
