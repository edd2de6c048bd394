package io.jistiod.it.agreement;

import io.jistiod.istiod.webhook.ValidateCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * Our verdict on each document: {@code istiod validate -f <document>} (the same command, run in
 * this JVM), exit 0 = accept. Each document is its own file, so one verdict is one document's.
 */
final class OurVerdicts {
  private OurVerdicts() {}

  static Map<String, Verdict> judge(List<CorpusDocument> docs, Path work) throws IOException {
    Path dir = Files.createDirectories(work.resolve("ours"));
    Map<String, Verdict> out = new LinkedHashMap<>();
    int i = 0;
    for (CorpusDocument d : docs) {
      Path file = dir.resolve((i++) + ".yaml");
      Files.writeString(file, d.text(), StandardCharsets.UTF_8);
      StringWriter buf = new StringWriter();
      PrintWriter pw = new PrintWriter(buf);
      int rc =
          new CommandLine(new ValidateCommand())
              .setOut(pw)
              .setErr(pw)
              .execute("-f", file.toString());
      pw.flush();
      out.put(d.id(), rc == 0 ? Verdict.accept() : Verdict.reject(reason(buf.toString(), file)));
    }
    return out;
  }

  /** The first line that says what is wrong, without the temporary file's name. */
  private static String reason(String output, Path file) {
    for (String line : output.split("\n")) {
      String l = line.replace(file + ": ", "").strip();
      if (!l.isEmpty() && !l.endsWith(": valid") && !l.startsWith("Error: ")) {
        return l;
      }
    }
    return output.strip();
  }
}
