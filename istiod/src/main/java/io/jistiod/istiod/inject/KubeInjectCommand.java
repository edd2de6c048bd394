package io.jistiod.istiod.inject;

import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.injector.InjectionConfig;
import io.jistiod.injector.InjectionConfigException;
import io.jistiod.injector.InjectionException;
import io.jistiod.injector.InjectionTemplate;
import io.jistiod.injector.KubeInject;
import io.jistiod.injector.NativeSidecars;
import io.jistiod.injector.ValuesConfig;
import io.jistiod.injector.template.TemplateException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code istiod kube-inject -f FILE|-}: injects the sidecar into the workloads of a YAML stream
 * offline, with {@code istioctl kube-inject}'s flags and output (from files only: no cluster is
 * asked). {@code --injectConfigFile} is the injector's {@code config} (or a bare template, used as
 * {@code sidecar}), {@code --valuesFile} its {@code values}, {@code --meshConfigFile} the mesh
 * config (istiod's defaults without it).
 */
@Command(
    name = "kube-inject",
    mixinStandardHelpOptions = true,
    versionProvider = io.jistiod.istiod.Main.Version.class,
    description =
        "Inject the Istio sidecar into Kubernetes workload YAML, as istioctl kube-inject.")
public final class KubeInjectCommand implements Callable<Integer> {
  @Option(
      names = {"-f", "--filename"},
      required = true,
      description = "Input Kubernetes resource filename; - reads standard input.")
  String filename;

  @Option(
      names = {"-o", "--output"},
      description = "Modified output Kubernetes resource filename (standard output without it).")
  Path output;

  @Option(names = "--meshConfigFile", description = "Mesh configuration filename.")
  Path meshConfigFile;

  @Option(
      names = "--injectConfigFile",
      required = true,
      description = "Injection configuration filename (the injector ConfigMap's config).")
  Path injectConfigFile;

  @Option(
      names = "--valuesFile",
      description = "Injection values configuration filename (the injector ConfigMap's values).")
  Path valuesFile;

  @Option(
      names = {"-r", "--revision"},
      defaultValue = "",
      description = "Control plane revision.")
  String revision;

  @Spec CommandSpec spec;

  /** Where {@code -f -} reads from; tests replace it. */
  InputStream stdin = System.in;

  @Override
  public Integer call() {
    io.jistiod.istiod.CliLogging.toStderr();
    PrintWriter err = spec.commandLine().getErr();
    try {
      String input =
          filename.equals("-")
              ? new String(stdin.readAllBytes(), StandardCharsets.UTF_8)
              : Files.readString(Path.of(filename));
      MeshConfig mesh =
          meshConfigFile == null
              ? MeshConfigs.defaults()
              : MeshConfigs.parse(Files.readString(meshConfigFile), meshConfigFile.toString());
      ValuesConfig values =
          valuesFile == null
              ? ValuesConfig.empty()
              : ValuesConfig.parse(Files.readString(valuesFile));
      List<String> warnings = new ArrayList<>();
      KubeInject inject =
          new KubeInject(
              templates(Files.readString(injectConfigFile)),
              values,
              mesh,
              revision,
              NativeSidecars.mode(System.getenv("ENABLE_NATIVE_SIDECARS"))
                  == NativeSidecars.Mode.ENABLED,
              warnings::add);
      String out = inject.intoResourceFile(input);
      if (output == null) {
        spec.commandLine().getOut().print(out);
        spec.commandLine().getOut().flush();
      } else {
        Files.writeString(output, out);
      }
      if (!warnings.isEmpty()) {
        err.println();
        warnings.forEach(err::println);
      }
      err.flush();
      return 0;
    } catch (java.nio.file.NoSuchFileException e) {
      err.println("Error: open " + e.getFile() + ": no such file or directory");
    } catch (java.nio.file.AccessDeniedException e) {
      err.println("Error: open " + e.getFile() + ": permission denied");
    } catch (IOException e) {
      err.println("Error: " + e.getMessage());
    } catch (InjectionConfigException | InjectionException | IllegalArgumentException e) {
      err.println("Error: " + e.getMessage());
    }
    err.flush();
    return 1;
  }

  /**
   * The templates of an injection config file, as istioctl reads it: a config with templates, or
   * else the whole file as the {@code sidecar} template.
   */
  static Map<String, InjectionTemplate> templates(String file) throws InjectionConfigException {
    InjectionConfig.TemplateParser parser = TemplateParsers.goTemplates();
    InjectionConfig config;
    try {
      config = InjectionConfig.parse(file, (name, text) -> data -> text);
    } catch (InjectionConfigException e) {
      config = null;
    }
    if (config == null || config.rawTemplates().isEmpty()) {
      try {
        Map<String, InjectionTemplate> m = new TreeMap<>();
        m.put(
            InjectionConfig.SIDECAR_TEMPLATE, parser.parse(InjectionConfig.SIDECAR_TEMPLATE, file));
        return m;
      } catch (TemplateException e) {
        throw new InjectionConfigException(
            "template " + InjectionConfig.SIDECAR_TEMPLATE + " does not parse: " + e.getMessage());
      }
    }
    return InjectionConfig.parse(file, parser).templates();
  }
}
