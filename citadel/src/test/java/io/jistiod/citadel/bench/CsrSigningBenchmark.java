package io.jistiod.citadel.bench;

import io.jistiod.citadel.ca.IssuedCertificate;
import io.jistiod.citadel.ca.TtlPolicy;
import io.jistiod.citadel.ca.WorkloadCertificateSigner;
import io.jistiod.citadel.pki.CaKeyMaterialHolder;
import io.jistiod.citadel.pki.KeyAlgorithm;
import io.jistiod.citadel.pki.SelfSignedRootGenerator;
import io.jistiod.citadel.testing.TestPki;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Cost of one CreateCertificate's crypto: parse and verify the CSR, build and sign the leaf, and
 * PEM-encode the response chain. The CA and the workload use the same key type, as in a mesh
 * configured for that algorithm. Not part of {@code mvn test}; run {@link #main} from the test
 * classpath, e.g. {@code java -cp <test classpath> io.jistiod.citadel.bench.CsrSigningBenchmark -f
 * 1 -wi 2 -i 3}.
 */
@State(Scope.Benchmark)
public class CsrSigningBenchmark {
  private static final List<String> IDENTITY = List.of(TestPki.spiffe("default", "sleep"));

  @Param({"RSA_2048", "ECDSA_P256"})
  public String algorithm;

  private WorkloadCertificateSigner signer;
  private String csrPem;

  @Setup
  public void setUp() {
    KeyAlgorithm keys =
        algorithm.equals("RSA_2048") ? KeyAlgorithm.RSA_2048 : KeyAlgorithm.ECDSA_P256;
    SecureRandom random = new SecureRandom();
    Clock clock = Clock.systemUTC();
    var ca =
        new SelfSignedRootGenerator(clock, random)
            .generate("cluster.local", keys, SelfSignedRootGenerator.DEFAULT_TTL);
    signer =
        new WorkloadCertificateSigner(
            new CaKeyMaterialHolder(ca), TtlPolicy.ISTIO_DEFAULTS, clock, random);
    csrPem = TestPki.csr(keys.generateKeyPair(random), IDENTITY.get(0));
  }

  @Benchmark
  public List<String> signCsr() throws Exception {
    IssuedCertificate issued = signer.sign(csrPem, IDENTITY, Duration.ofHours(24));
    return issued.pemChain();
  }

  /** Runs throughput in ops/s, then average time in µs/op; command-line options apply to both. */
  public static void main(String[] args) throws Exception {
    CommandLineOptions cli = new CommandLineOptions(args);
    for (Mode mode : new Mode[] {Mode.Throughput, Mode.AverageTime}) {
      new Runner(
              new OptionsBuilder()
                  .parent(cli)
                  .include(CsrSigningBenchmark.class.getName())
                  .mode(mode)
                  .timeUnit(mode == Mode.Throughput ? TimeUnit.SECONDS : TimeUnit.MICROSECONDS)
                  .build())
          .run();
    }
  }
}
