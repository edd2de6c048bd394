package io.jistiod.it.support;

/**
 * Runs a {@link WhoAmIServer} as its own process, so a test can start it inside a network
 * namespace: {@code WhoAmIMain NAME HOST PORT}.
 */
public final class WhoAmIMain {
  private WhoAmIMain() {}

  public static void main(String[] args) throws Exception {
    try (WhoAmIServer server = new WhoAmIServer(args[0], args[1], Integer.parseInt(args[2]))) {
      System.out.println("serving " + args[0] + " on " + args[1] + ":" + server.port());
      System.out.flush();
      Thread.currentThread().join();
    }
  }
}
