/**
 * k8s/tfjob.yaml and k8s/Dockerfile of the Keras export: the same multi-worker program as
 * `python model.py --workers N`, run on a Kubernetes cluster by Kubeflow's training operator (a
 * `TFJob` of N workers; the operator writes each pod's TF_CONFIG). Written by hand rather than
 * dumped, so the manifest keeps the comments that say what to fill in.
 */
import type { ExportFile } from '../exportFile.js';

/** Workers the manifest asks for (the count the CI test runs on loopback). */
export const TFJOB_WORKERS = 2;
/** The port the training operator gives every worker (its default `tfjob-port`). */
const TFJOB_PORT = 2222;

/** A Kubernetes object name (DNS-1123 label) from the project's name. */
function jobName(name: string): string {
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return label || 'layerloom-model';
}

/** The last part of a dataset path (a folder or a CSV file), or DATASET when the project has none. */
function datasetName(path: string | null): string {
  const last = (path ?? '').split(/[\\/]/).filter((p) => p && p !== '.' && p !== '..').pop();
  return last ?? 'DATASET';
}

/** A YAML double-quoted scalar (JSON's string syntax is valid YAML). */
const q = (s: string): string => JSON.stringify(s);

/**
 * The Kubeflow TFJob manifest and the Dockerfile of the image it runs, for a model that trains.
 * `name` is the project's name, `dataPath` the dataset path model.py defaults to (its last part
 * names the dataset on the data volume).
 */
export function tfjobFiles(name: string, dataPath: string | null): ExportFile[] {
  const job = jobName(name);
  const data = `/data/${datasetName(dataPath)}`;
  const command = ['python', 'model.py', '--distribute', 'multiworker', '--data', data, '--output', '/output'];
  const manifest = `# Kubeflow TFJob (training operator, kubeflow.org/v1): trains this model on ${TFJOB_WORKERS} workers of
# a Kubernetes cluster with tf.distribute.MultiWorkerMirroredStrategy: the same program as
# \`python model.py --workers ${TFJOB_WORKERS}\` on one machine. The operator starts the pods and sets
# TF_CONFIG in each (worker 0 is the chief); README.md, "More than one GPU or machine".
#
# Before \`kubectl apply -f k8s/tfjob.yaml\`:
# 1. Build the image from the export folder and push it where the cluster pulls from:
#      docker build -f k8s/Dockerfile -t registry.example.com/${job}:1 .
#    then set \`image:\` below to it.
# 2. Put the dataset on the volume of the claim ${job}-data: every worker reads
#    ${data} (the same files, the same split).
# 3. The chief writes checkpoints, model.keras and history.json to the claim ${job}-output
#    (/output); the other workers write theirs to a scratch folder in their pod. Pods on
#    several nodes need claims they can all mount (ReadOnlyMany / ReadWriteMany).
apiVersion: kubeflow.org/v1
kind: TFJob
metadata:
  name: ${job}
spec:
  runPolicy:
    cleanPodPolicy: None # keep finished pods and their logs
  tfReplicaSpecs:
    Worker:
      replicas: ${TFJOB_WORKERS} # --batch-size stays the global batch, shared by the workers
      # A worker that fails ends the run: the others stop with a message naming it.
      restartPolicy: Never
      template:
        spec:
          containers:
            - name: tensorflow # the container the operator gives TF_CONFIG to
              image: registry.example.com/${job}:1
              workingDir: /app
              command: [${command.map(q).join(', ')}]
              ports:
                - name: tfjob-port
                  containerPort: ${TFJOB_PORT}
              volumeMounts:
                - name: data
                  mountPath: /data
                  readOnly: true
                - name: output
                  mountPath: /output
          volumes:
            - name: data
              persistentVolumeClaim:
                claimName: ${job}-data
                readOnly: true
            - name: output
              persistentVolumeClaim:
                claimName: ${job}-output
`;
  const dockerfile = `# The image k8s/tfjob.yaml runs: this export folder at /app with its requirements.
# Build it from the export folder: docker build -f k8s/Dockerfile -t IMAGE .
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
`;
  return [
    { path: 'k8s/tfjob.yaml', content: manifest },
    { path: 'k8s/Dockerfile', content: dockerfile },
  ];
}
