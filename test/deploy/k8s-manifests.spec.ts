import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** Every container the manifests run must have probes, resource limits and a non-root security context. */
const K8S = join(__dirname, '..', '..', 'k8s');
const documents = readdirSync(K8S)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(join(K8S, f), 'utf8')).map((d) => ({ file: f, doc: d.toJS() as any })));
const workloads = documents.filter(({ doc }) => ['StatefulSet', 'Deployment', 'DaemonSet'].includes(doc?.kind));

describe('Kubernetes manifests', () => {
  it('parse, and hold at least the node workload', () => {
    expect(documents.length).toBeGreaterThan(0);
    expect(workloads.map((w) => w.doc.metadata.name)).toContain('corridor-node-pk');
  });

  it.each(workloads.map((w) => [`${w.file}: ${w.doc.kind}/${w.doc.metadata.name}`, w.doc]))('%s runs every container with probes, limits and as non-root', (_name, doc: any) => {
    const pod = doc.spec.template.spec;
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    for (const c of pod.containers) {
      expect(c.readinessProbe).toBeDefined();
      expect(c.livenessProbe).toBeDefined();
      expect(c.resources?.limits?.cpu).toBeDefined();
      expect(c.resources?.limits?.memory).toBeDefined();
      expect(c.resources?.requests).toBeDefined();
      expect(c.securityContext?.allowPrivilegeEscalation).toBe(false);
      expect(c.securityContext?.runAsNonRoot ?? pod.securityContext.runAsNonRoot).toBe(true);
    }
  });

  it('probe the node health endpoints that exist', () => {
    const node = workloads.find((w) => w.doc.metadata.name === 'corridor-node-pk')!.doc.spec.template.spec.containers[0];
    expect(node.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(node.livenessProbe.httpGet.path).toBe('/health/live');
  });
});
