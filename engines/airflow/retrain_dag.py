"""Retrain a model when its data drifts, on Apache Airflow.

Every step but training runs the sextant command in a pod of the sextant
image; training runs the team's own image. The pods share a workspace volume
and reach the bucket through $SEXTANT_BUCKET (from the sextant-bucket secret).

    checkout >> pull >> drift >> decide -> train >> register >> gate >> judge -> promote
                                       \\-> no_drift                       \\-> rejected

sextant's exit status drives the branches: ``sextant drift report`` exits 4
when the data drifted and ``sextant models gate`` exits 3 when the candidate
fails the gate; any other non-zero status is an error and fails the task. The
pods turn 0/4 and 0/3 into an XCom value so that a decision is not a failure.

Needs apache-airflow>=2.9 and apache-airflow-providers-cncf-kubernetes>=8.
"""

from datetime import datetime, timedelta

from airflow import DAG
from airflow.decorators import task
from airflow.operators.empty import EmptyOperator
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from kubernetes.client import models as k8s

SEXTANT_IMAGE = "ghcr.io/sextant-ml/sextant:latest"
TRAIN_IMAGE = "registry.example.com/ml/churn-train:latest"

work = k8s.V1Volume(
    name="work",
    persistent_volume_claim=k8s.V1PersistentVolumeClaimVolumeSource(claim_name="retrain-work"),
)
config = k8s.V1Volume(name="sextant-config", config_map=k8s.V1ConfigMapVolumeSource(name="sextant-config"))
token = k8s.V1Volume(
    name="sextant-token",
    projected=k8s.V1ProjectedVolumeSource(
        sources=[
            k8s.V1VolumeProjection(
                service_account_token=k8s.V1ServiceAccountTokenProjection(
                    audience="sextant", expiration_seconds=3600, path="token"
                )
            )
        ]
    ),
)
mounts = [
    k8s.V1VolumeMount(name="work", mount_path="/work"),
    k8s.V1VolumeMount(name="sextant-config", mount_path="/config"),
    k8s.V1VolumeMount(name="sextant-token", mount_path="/var/run/secrets/sextant"),
]
bucket = [k8s.V1EnvFromSource(secret_ref=k8s.V1SecretEnvSource(name="sextant-bucket"))]


def pod(task_id, image=SEXTANT_IMAGE, **kwargs):
    """A pod on the shared workspace, in the checkout's directory."""
    return KubernetesPodOperator(
        task_id=task_id,
        name=task_id,
        image=image,
        namespace="ml",
        service_account_name="retrain",
        volumes=[work, config, token],
        volume_mounts=mounts,
        env_from=bucket,
        working_dir="/work/src",
        get_logs=True,
        **kwargs,
    )


with DAG(
    dag_id="retrain_churn",
    start_date=datetime(2026, 1, 1),
    schedule="@daily",
    catchup=False,
    max_active_runs=1,  # as pipeline.Scheduler: never two runs at once
    params={"model": "churn"},
    default_args={"retries": 0},
) as dag:
    checkout = pod(
        "checkout",
        image="alpine/git:2.47.2",
        working_dir="/work",
        cmds=["sh", "-c"],
        arguments=["rm -rf /work/src && git clone --depth=1 https://git.example.com/ml/churn.git /work/src"],
    )

    # The .dvc files come from git; the bytes from the DVC remote, every
    # object checked against its MD5.
    pull = pod(
        "pull",
        cmds=["sextant"],
        arguments=["data", "pull", "-remote", "s3://ml-dvc/churn", "-progress=false", "data/reference.dvc", "data/current.dvc"],
        retries=2,
        retry_delay=timedelta(seconds=10),
        retry_exponential_backoff=True,
    )

    # Exit 4 is "drift found": an answer, not an error.
    drift = pod(
        "drift",
        cmds=["sh", "-c"],
        arguments=[
            """
sextant drift report -reference data/reference/features.csv -current data/current/features.csv -o html -out /work/drift.html
rc=$?
mkdir -p /airflow/xcom
case $rc in
  0) echo '"none"' > /airflow/xcom/return.json ;;
  4) echo '"drift"' > /airflow/xcom/return.json ;;
  *) exit $rc ;;
esac
"""
        ],
        do_xcom_push=True,
    )

    @task.branch(task_id="decide")
    def decide(ti=None):
        return "train" if ti.xcom_pull(task_ids="drift") == "drift" else "no_drift"

    no_drift = EmptyOperator(task_id="no_drift")

    # The team's training image: reads data/current, writes /work/model with
    # a metrics.json beside the files.
    train = pod(
        "train",
        image=TRAIN_IMAGE,
        cmds=["python", "-m", "train"],
        arguments=["--data", "data/current", "--out", "/work/model"],
        container_resources=k8s.V1ResourceRequirements(limits={"nvidia.com/gpu": "1"}),
        execution_timeout=timedelta(hours=6),
        retries=1,
    )

    # Registers the model with its lineage (the training data as a dataset
    # version, the DAG run as the run) and pushes the version number.
    register = pod(
        "register",
        cmds=["sh", "-c"],
        arguments=[
            """
set -e
mkdir -p /airflow/xcom
sextant models register -model "{{ params.model }}" -dir /work/model -metrics /work/model/metrics.json -data data/current -run "{{ run_id }}" -source "airflow://{{ dag.dag_id }}/{{ run_id }}" > /tmp/version
echo "\\"$(cat /tmp/version)\\"" > /airflow/xcom/return.json
"""
        ],
        do_xcom_push=True,
    )

    # Exit 3 is "the gate failed": the version stays registered, not promoted.
    gate = pod(
        "gate",
        cmds=["sh", "-c"],
        arguments=[
            """
sextant models gate "{{ params.model }}/{{ ti.xcom_pull(task_ids='register') }}" -gate /config/gate.yaml -alias production -summary /tmp/gate.md
rc=$?
mkdir -p /airflow/xcom
case $rc in
  0) echo '"passed"' > /airflow/xcom/return.json ;;
  3) echo '"failed"' > /airflow/xcom/return.json ;;
  *) exit $rc ;;
esac
"""
        ],
        do_xcom_push=True,
    )

    @task.branch(task_id="judge")
    def judge(ti=None):
        return "promote" if ti.xcom_pull(task_ids="gate") == "passed" else "rejected"

    rejected = EmptyOperator(task_id="rejected")

    # Moves the alias, the gate checked again in the same registry entry;
    # authorised by the rbac policy for the pod's service account, whose
    # projected token is verified against the cluster's key set.
    promote = pod(
        "promote",
        cmds=["sextant"],
        arguments=[
            "models", "promote", "{{ params.model }}/{{ ti.xcom_pull(task_ids='register') }}",
            "-gate", "/config/gate.yaml",
            "-alias", "production",
            "-policy", "/config/policy.yaml",
            "-oidc-token", "/var/run/secrets/sextant/token",
            "-oidc-jwks", "/config/jwks.json",
            "-oidc-issuer", "https://kubernetes.default.svc.cluster.local",
            "-oidc-audience", "sextant",
        ],
    )

    checkout >> pull >> drift >> decide() >> [train, no_drift]
    train >> register >> gate >> judge() >> [promote, rejected]
