/** Configurations shared by engine tests (recording provider types). */

/** Two nameservers (a, b), each provisioned, checked, behind its own route, checked through it. */
export const BLUE_GREEN = `
variable "version" {
  type    = string
  default = "v1"
}

resource "test_instance" "ns" {
  for_each = toset(["a", "b"])
  name     = "ns-\${each.key}"
  image    = "debian12"

  lifecycle blue_green
}

resource "test_provision" "ns" {
  for_each = test_instance.ns
  host     = each.value
  script   = "deploy \${var.version}"
}

resource "test_check" "ns" {
  for_each = test_provision.ns
  target   = each.value.host.ipv4
  expect   = var.version
}

resource "test_route" "ns" {
  for_each = test_instance.ns
  targets  = ["\${each.value.ipv4}:53"]
}

resource "test_check" "lb" {
  for_each = test_route.ns
  target   = each.value.config
  expect   = var.version
}

output "targets" {
  value = [for k, r in test_route.ns : r.targets[0]]
}
`;

/**
 * A load balancer (mutable) routing to one blue-green nameserver, each checked; the shape of
 * examples/dns.infra. `provisioned`: the load balancer has a provisioning of its own and the
 * route takes that provisioning's `host`, so values the balancer's provider made up flow two
 * resources downstream; `bare`: the route takes the server itself.
 */
export function lbAndNameserver(lb: 'bare' | 'provisioned'): string {
  const provision =
    lb === 'provisioned'
      ? `
resource "test_provision" "lb" {
  host   = test_server.lb
  script = "nginx"
}
`
      : '';
  return `
variable "serial" {
  type    = string
  default = "1"
}

resource "test_server" "lb" {
  name = "lb"
}
${provision}
resource "test_server" "ns" {
  name = "ns"

  lifecycle blue_green
}

resource "test_provision" "ns" {
  host   = test_server.ns
  script = "bind \${var.serial}"
}

resource "test_check" "ns" {
  target = test_provision.ns.host.ipv4
  expect = var.serial
}

resource "test_balancer" "ns" {
  lb      = ${lb === 'provisioned' ? 'test_provision.lb.host' : 'test_server.lb'}
  servers = ["\${test_server.ns.ipv4}:53"]
}

resource "test_check" "lb" {
  target = test_balancer.ns.lb.ipv4
  expect = var.serial
}
`;
}
