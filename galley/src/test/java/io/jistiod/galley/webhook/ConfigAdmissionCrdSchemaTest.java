package io.jistiod.galley.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.validation.NetworkingValidators;
import org.junit.jupiter.api.Test;

/**
 * What the API server enforces from the CRD schema is part of the verdict (as on a cluster, where
 * the schema is checked before the webhook is called), for objects Istio's validation admits.
 */
class ConfigAdmissionCrdSchemaTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private final ConfigAdmission admission =
      new ConfigAdmission(IstioKinds.ALL, NetworkingValidators.forKinds());

  private Verdict check(String yaml) throws Exception {
    return admission.check(YAML.readTree(yaml), "ns1", "");
  }

  @Test
  void aCelRuleOfTheCrdDenies() throws Exception {
    Verdict v =
        check(
            """
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: vm}
            spec: {address: 'unix://@abstract/'}
            """);
    assertThat(v.allowed()).isFalse();
    assertThat(v.reason()).isEqualTo(Verdict.INVALID_RESOURCE);
    assertThat(v.message())
        .isEqualTo(
            "WorkloadEntry.networking.istio.io \"vm\" is invalid: spec.address: Invalid value:"
                + " \"string\": UDS may not be a dir");
  }

  @Test
  void anOpenApiBoundOfTheCrdDenies() throws Exception {
    Verdict v =
        check(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: dr}
            spec:
              host: reviews
              trafficPolicy: {outlierDetection: {outlierDetectionHttpErrorCodes: [500, 600]}}
            """);
    assertThat(v.allowed()).isFalse();
    assertThat(v.message())
        .isEqualTo(
            "DestinationRule.networking.istio.io \"dr\" is invalid:"
                + " spec.trafficPolicy.outlierDetection.outlierDetectionHttpErrorCodes[1]: Invalid"
                + " value: 600:"
                + " spec.trafficPolicy.outlierDetection.outlierDetectionHttpErrorCodes[1] in body"
                + " should be less than or equal to 599");
  }

  @Test
  void validObjectsStayAllowedAndIstiosDenialsKeepIstiosMessage() throws Exception {
    assertThat(
            check(
                    """
                apiVersion: extensions.istio.io/v1alpha1
                kind: WasmPlugin
                metadata: {name: plugin}
                spec: {url: 'oci://example.com/plugin:1'}
                """)
                .allowed())
        .isTrue();
    Verdict istios =
        check(
            """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: vs}
            spec: {hosts: [7]}
            """);
    assertThat(istios.allowed()).isFalse();
    assertThat(istios.reason()).isEqualTo(Verdict.CRD_CONVERSION_ERROR);
  }
}
