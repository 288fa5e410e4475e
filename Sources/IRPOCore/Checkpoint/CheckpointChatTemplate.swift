import Foundation

extension Checkpoint {
    /// The chat template the model carries, or nil: chat_template.jinja (a GGUF file's
    /// tokenizer.chat_template is carried as that file), else tokenizer_config.json's
    /// "chat_template" string, where older HF checkpoints keep it.
    public var chatTemplate: String? {
        if let data = extraFiles[GGUFModel.chatTemplateFileName] { return String(decoding: data, as: UTF8.self) }
        guard let data = extraFiles["tokenizer_config.json"],
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["chat_template"] as? String
    }
}
