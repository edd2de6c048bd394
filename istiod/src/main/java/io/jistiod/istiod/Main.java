package io.jistiod.istiod;

/** Entry point of the istiod program. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.out.println("istiod");
  }
}
