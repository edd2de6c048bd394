package io.jistiod.istiod;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;

/**
 * {@code --help} and {@code -h} work on every command and subcommand, found by walking the tree.
 */
class HelpTest {

  @TestFactory
  Stream<DynamicTest> everyCommandHasHelp() {
    List<List<String>> paths = new ArrayList<>();
    walk(new CommandLine(new Main()), new ArrayList<>(), paths);
    assertThat(paths)
        .extracting(p -> String.join(" ", p))
        .contains("discovery", "validate", "version");
    return paths.stream()
        .flatMap(
            path ->
                Stream.of("--help", "-h")
                    .map(
                        flag ->
                            DynamicTest.dynamicTest(
                                "istiod " + String.join(" ", path) + " " + flag,
                                () -> assertHelp(path, flag))));
  }

  @TestFactory
  Stream<DynamicTest> theHelpCommandExplainsEveryCommand() {
    return Stream.of("discovery", "validate", "version")
        .map(
            name ->
                DynamicTest.dynamicTest(
                    "istiod help " + name, () -> assertHelp(List.of("help", name), null)));
  }

  private static void walk(CommandLine cli, List<String> path, List<List<String>> out) {
    out.add(List.copyOf(path));
    cli.getSubcommands()
        .forEach(
            (name, sub) -> {
              if (sub.getCommandName().equals(name)) { // skip aliases
                List<String> next = new ArrayList<>(path);
                next.add(name);
                walk(sub, next, out);
              }
            });
  }

  private static void assertHelp(List<String> path, String flag) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    List<String> args = new ArrayList<>(path);
    if (flag != null) {
      args.add(flag);
    }
    int code = cli.execute(args.toArray(String[]::new));
    assertThat(code).as(err.toString()).isZero();
    String shown =
        path.isEmpty() || path.get(0).equals("help") && path.size() == 1
            ? "istiod"
            : path.get(path.size() - 1);
    assertThat(out.toString()).contains("Usage: istiod").contains(shown);
    assertThat(err.toString()).isEmpty();
  }
}
