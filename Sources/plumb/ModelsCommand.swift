import ArgumentParser

/// `plumb models …`: the model registry.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Model registry: versions, stages, aliases, promotion, rollback, model cards.",
        discussion: """
            Example:
              plumb models promote housing --reason "weekly retrain"
            """,
        subcommands: [ModelsListCommand.self, ModelsShowCommand.self, ModelsPromoteCommand.self, ModelsRollbackCommand.self,
                      ModelsHistoryCommand.self, ModelsAliasCommand.self, ModelsCardCommand.self, ModelsApproveCommand.self,
                      ModelsImportCommand.self, ModelsExportCommand.self]
    )
}
