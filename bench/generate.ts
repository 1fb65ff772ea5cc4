/**
 * Generated configurations for benchmarks: N resources of the recording test provider's types,
 * written in the subset of syntax HCL shares with .infra so Terraform's own parser can read the
 * same text.
 */

/** A configuration of `n` resources: a quarter instances, each with a provision, a check and a route. */
export function generateConfig(n: number): string {
  const groups = Math.max(1, Math.floor(n / 4));
  const out: string[] = [
    'variable "version" {\n  type    = string\n  default = "v1"\n}\n',
    'locals {\n  prefix = "bench"\n  tags   = ["a", "b", "c"]\n}\n',
  ];
  for (let i = 0; i < groups; i++) {
    out.push(`resource "test_instance" "n${i}" {
  name  = "\${local.prefix}-${i}"
  image = "debian12"
  size  = lower("G6-NANODE-${i % 3}")
}

resource "test_provision" "n${i}" {
  host   = test_instance.n${i}
  script = "deploy \${var.version} ${i} \${join(",", local.tags)}"
}

resource "test_check" "n${i}" {
  target = "\${test_instance.n${i}.name}:53"
  expect = var.version == "v1" ? "ok" : "changed"
}

resource "test_route" "n${i}" {
  targets = [for t in local.tags : "\${test_instance.n${i}.name}-\${t}"]
}
`);
  }
  return out.join('\n');
}

/** `n` instances in one chain: each refers to the one before it (the destroy plan's worst case). */
export function generateChain(n: number): string {
  const out: string[] = ['resource "test_instance" "c0" {\n  name = "c0"\n}\n'];
  for (let i = 1; i < n; i++) out.push(`resource "test_instance" "c${i}" {\n  name = "c${i}"\n  size = test_instance.c${i - 1}.name\n}\n`);
  return out.join('\n');
}
