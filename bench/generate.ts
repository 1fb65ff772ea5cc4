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

/**
 * `n` resources as a configuration provisions hosts: `n / 2` `local_host`s, each provisioned by
 * an `ansible_playbook` of ansible/nameserver.yml that refers to it (the playbook's folder is
 * expected beside the configuration, at `ansible/`).
 */
export function generatePlaybookConfig(n: number): string {
  const out: string[] = [];
  for (let i = 0; i < Math.floor(n / 2); i++) {
    out.push(`resource "local_host" "h${i}" {
}

resource "ansible_playbook" "p${i}" {
  playbook = "ansible/nameserver.yml"
  host     = local_host.h${i}
  vars = {
    zone   = "example.test"
    serial = ${i}
  }
}
`);
  }
  return out.join('\n');
}

/** The same in Terraform: `terraform_data` for each host and each playbook, with the same references. */
export function generateTerraformPlaybookConfig(n: number): string {
  const out: string[] = [];
  for (let i = 0; i < Math.floor(n / 2); i++) {
    out.push(`resource "terraform_data" "h${i}" {
}

resource "terraform_data" "p${i}" {
  input = {
    playbook = "ansible/nameserver.yml"
    host     = terraform_data.h${i}.id
    zone     = "example.test"
    serial   = ${i}
  }
}
`);
  }
  return out.join('\n');
}

/** `n` test instances in a chain: each one's image is the name of the one before. */
export function generateChainConfig(n: number): string {
  const out: string[] = ['resource "test_instance" "r0" {\n  name = "r0"\n}\n'];
  for (let i = 1; i < n; i++) out.push(`resource "test_instance" "r${i}" {\n  name  = "r${i}"\n  image = test_instance.r${i - 1}.name\n}\n`);
  return out.join('\n');
}

/**
 * `calls` instances of one module (a `for_each` call) of `perModule` resources each (the
 * resources of generateConfig): the root module's text and the module's, for `./mod`.
 */
export function generateModuleConfig(calls: number, perModule: number): { root: string; module: string } {
  const keys = Array.from({ length: calls }, (_, i) => `"m${i}"`).join(', ');
  const root = `variable "version" {
  type    = string
  default = "v1"
}

module "m" {
  for_each = toset([${keys}])
  source   = "./mod"
  release  = var.version
}
`;
  // `version` is a reserved argument of module blocks: the module calls its variable `release`.
  return { root, module: generateConfig(perModule).replace('variable "version"', 'variable "release"').replaceAll('var.version', 'var.release') };
}
