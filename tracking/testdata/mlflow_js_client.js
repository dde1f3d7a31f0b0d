// Drives a Sextant tracking server with the "mlflow" package from npm, an
// MLflow REST client written independently of this project. Usage:
//   node mlflow_js_client.js <endpoint>
// NODE_PATH must name the node_modules directory holding "mlflow".
// Prints one JSON object with what the server answered; exits 1 on error.
'use strict'
const MLflow = require('mlflow')

async function main () {
  const endpoint = process.argv[2]
  const { Experiments, Runs, Metrics } = new MLflow({ endpoint })
  const log = console.log
  console.log = () => {} // the client prints every request body
  const out = {}
  const { experiment_id } = await Experiments.create({ name: 'js-client' })
  out.experiment = (await Experiments.get({ experiment_id })).experiment
  const { run } = await Runs.create({ experiment_id, start_time: 1700000000000, tags: [{ key: 'client', value: 'mlflow-js' }] })
  const run_id = run.info.run_id
  await Runs.logParameter({ run_id, key: 'lr', value: '0.01' })
  await Runs.setTag({ run_id, key: 'stage', value: 'dev' })
  await Runs.logMetric({ run_id, key: 'loss', value: 0.5, timestamp: 1700000000001, step: 0 })
  await Runs.logBatch({
    run_id,
    metrics: [1, 2, 3].map(step => ({ key: 'loss', value: 0.5 / (step + 1), timestamp: 1700000000001 + step, step })),
    params: [{ key: 'depth', value: '4' }],
    tags: [{ key: 'stage', value: 'prod' }]
  })
  try {
    await Runs.logParameter({ run_id, key: 'lr', value: '0.02' })
    out.changedParam = 'accepted'
  } catch (e) {
    out.changedParam = JSON.parse(e.message.replace(/^Error: /, '')).data
  }
  try {
    await Runs.get({ run_id: '0123456789abcdef0123456789abcdef' })
    out.unknownRun = 'found'
  } catch (e) {
    out.unknownRun = JSON.parse(e.message.replace(/^Error: /, '')).data
  }
  out.history = (await Metrics.getHistory({ run_id, metric_key: 'loss' })).metrics
  out.updated = (await Runs.update({ run_id, status: 'FINISHED', end_time: 1700000000100 })).run_info
  out.run = (await Runs.get({ run_id })).run
  out.search = (await Runs.search({ experiment_ids: [experiment_id], filter: "params.lr = '0.01' and metrics.loss < 0.2", run_view_type: 'ACTIVE_ONLY' })).runs
  await Runs.delete({ run_id })
  out.afterDelete = (await Runs.search({ experiment_ids: [experiment_id] })).runs || []
  log(JSON.stringify(out))
}

main().catch(e => { console.error(e); process.exit(1) })
