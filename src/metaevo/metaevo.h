#pragma once
// The public API of the installed library, in one include (docs/library.md says what each part
// is for). Every header is installed, since these include many of the others; the ones not
// included here are internal and may change between minor versions.
#include "metaevo/core/config.h"        // Config: settings from YAML/JSON text, with typo detection
#include "metaevo/core/error.h"         // Error (bad input, one line), Interrupted (Ctrl-C)
#include "metaevo/core/options.h"       // read_options, Choice: options structs from config sections
#include "metaevo/data/images.h"        // read_class_folders, read_png_image: your images as the data sets read them
#include "metaevo/dist/communicator.h"  // world(): this process's MPI job (or one local process)
#include "metaevo/es/driver.h"          // Driver, DriverOptions, Observer: the ES loop
#include "metaevo/es/observers.h"       // ProgressLogger, MetricsWriter: a run folder's progress and metrics
#include "metaevo/es/population.h"      // Population: one generation's members, implicit or materialised
#include "metaevo/es/population_forward.h"  // PopulationForward: a Sequential's forward for many members at once
#include "metaevo/es/problem.h"             // Problem: your fitness, batch-first
#include "metaevo/es/strategy.h"            // Strategy (ask/tell), make_strategy
#include "metaevo/hpo/objective.h"          // Objective, TrialRun: your trainable
#include "metaevo/hpo/space.h"              // SearchSpace, Param
#include "metaevo/hpo/study.h"              // run_study: one worker of a (shared) study
#include "metaevo/meta/classify.h"          // classify: prototype classification of queries given labelled support
#include "metaevo/meta/episode_folder.h"    // read_folder_task, score_episode_folder: few-shot tasks as image folders
#include "metaevo/meta/trained_protonet.h"  // load_trained_protonet: a ProtoNet from a metaevo meta run folder
#include "metaevo/mlo/engine.h"             // Engine, Dependencies, EngineOptions: a multilevel program
#include "metaevo/mlo/problem.h"            // Problem, ProblemOptions: one level, your loss
#include "metaevo/models/layout.h"          // Layout: a flat parameter vector's named segments
#include "metaevo/models/parameters.h"      // a module's parameters as one vector and back
#include "metaevo/models/transformer.h"     // Transformer: a ViT or causal LM kept as per-head tensors
#include "metaevo/munet/expansions.h"       // the six function-preserving transformer expansions
#include "metaevo/munet/predict.h"          // predict: one task's path of a grown system on images
#include "metaevo/munet/system_store.h"     // load_system: a grown muNet system from its store
#include "metaevo/routing/component.h"      // Component, ComponentRegistry: your component type in a routed layer
#include "metaevo/routing/expert_net.h"     // ExpertNet: experts routed per input, one per layer (routing networks)
#include "metaevo/routing/program.h"        // Program, make_program: a routing program over your tasks
#include "metaevo/routing/routed_net.h"     // RoutedNet: routed layers whose output averages the connected components
#include "metaevo/run/checkpointer.h"       // Checkpointer: atomic, versioned checkpoints
#include "metaevo/run/metrics_log.h"        // MetricsLog, read_metrics: any run folder's metrics.jsonl
